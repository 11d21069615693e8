/**
 * Property tests: whatever the bytes, decodeFlowDatagram either returns or throws a
 * NetflowDecodeError (TelemetryError 'DECODE'), never anything else (a RangeError would mean a
 * length drove a read or an allocation unchecked); well-formed messages built from random
 * templates decode to exactly the records put in; template floods leave the cache within its
 * bounds; templates redefined mid-stream are followed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFlowDatagram, NetflowContext, NetflowDecodeError, TemplateCache, type TemplateCacheLimits } from '../../../collector/ipfix/decode.js';
import { concat, u16, u64 } from '../../helpers/sflow-encoder.js';
import { dataSet, ipfixMessage, optionsTemplateRecord, optionsTemplateSet, templateRecord, templateSet, v5Packet, v9Packet, v9TemplateFlowset, varField, type FieldSpec } from './encoder.js';

const counted = { records: 0 };
const sink = { flow: () => void counted.records++, options: () => void counted.records++ };

function decodesOrThrowsDecodeError(ctx: NetflowContext, bytes: Uint8Array): void {
  try {
    decodeFlowDatagram(bytes, ctx, sink);
  } catch (err) {
    if (!(err instanceof NetflowDecodeError) || err.code !== 'DECODE') throw err;
  }
}

function context(limits: Partial<TemplateCacheLimits> = {}): NetflowContext {
  const ctx = new NetflowContext(new TemplateCache(limits));
  ctx.setExporter('192.0.2.1', 50000);
  ctx.timeReceivedNs = 1_700_000_000_000_000_000n;
  return ctx;
}

/** Field specifiers: known elements at legal lengths, unknown and enterprise ones, variable length. */
const fieldArb: fc.Arbitrary<FieldSpec> = fc.oneof(
  fc.constantFrom<FieldSpec>(
    { id: 1, length: 8 },
    { id: 1, length: 4 },
    { id: 2, length: 8 },
    { id: 2, length: 2 },
    { id: 4, length: 1 },
    { id: 7, length: 2 },
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 27, length: 16 },
    { id: 28, length: 16 },
    { id: 56, length: 6 },
    { id: 58, length: 2 },
    { id: 82, length: 65535 },
    { id: 152, length: 8 },
    { id: 154, length: 8 },
    { id: 158, length: 4 },
    { id: 22, length: 4 },
    { id: 34, length: 4 },
    { id: 311, length: 8 },
    { id: 891, length: 1, enterprise: 6876 },
    { id: 892, length: 65535, enterprise: 6876 },
    { id: 893, length: 4, enterprise: 6876 },
  ),
  fc.record({ id: fc.integer({ min: 1, max: 0x7fff }), length: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ id: fc.integer({ min: 1, max: 0x7fff }), length: fc.constantFrom(1, 4, 65535), enterprise: fc.integer({ min: 1, max: 0xffffffff }) }),
);

const fieldsArb = fc.array(fieldArb, { minLength: 1, maxLength: 24 });

/** One record's bytes for `fields`: random values, variable ones 0-300 octets long. */
function recordArb(fields: FieldSpec[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(...fields.map((f) => (f.length === 65535 ? fc.uint8Array({ maxLength: 300 }).map(varField) : fc.uint8Array({ minLength: f.length, maxLength: f.length }))))
    .map((parts) => concat(...parts));
}

const messageArb = fieldsArb
  .chain((f) => fc.tuple(fc.constant(f), fc.array(recordArb(f), { maxLength: 6 }), fc.integer({ min: 256, max: 65535 }), fc.boolean()))
  .map(([f, records, id, options]) => ({
    records: records.length,
    bytes: ipfixMessage(
      { sequence: 7 },
      options ? optionsTemplateSet(optionsTemplateRecord(id, 1, f)) : templateSet(templateRecord(id, f)),
      dataSet(id, ...records),
    ),
  }));

describe('NetFlow / IPFIX decoders on hostile input', () => {
  it('random bytes, and random bytes behind each version number', () => {
    const ctx = context();
    fc.assert(
      fc.property(fc.constantFrom(-1, 5, 9, 10), fc.uint8Array({ maxLength: 1500 }), (version, bytes) => {
        decodesOrThrowsDecodeError(ctx, version < 0 ? bytes : concat(u16(version), bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('random templates with random records decode to exactly those records', () => {
    fc.assert(
      fc.property(messageArb, ({ bytes, records }) => {
        const ctx = context();
        counted.records = 0;
        const h = decodeFlowDatagram(bytes, ctx, sink);
        expect(counted.records).toBe(records);
        expect(h.dataRecords + h.optionsRecords).toBe(records);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated messages (flipped bytes, cut or grown) give records or a DECODE error, never a crash', () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -40, max: 40 }),
        ({ bytes }, flips, resize) => {
          const m = bytes.slice();
          for (const [at, value] of flips) m[at % m.length] = value;
          const sized = resize < 0 ? m.subarray(0, Math.max(0, m.length + resize)) : concat(m, new Uint8Array(resize));
          decodesOrThrowsDecodeError(context(), sized);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('v9 and v5 packets with random contents', () => {
    const ctx = context();
    fc.assert(
      fc.property(fieldsArb, fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 40 }), (f, data, count) => {
        const plain = f.map((x) => ({ id: x.id, length: x.length }));
        decodesOrThrowsDecodeError(ctx, v9Packet({ count }, v9TemplateFlowset(templateRecord(300, plain)), dataSet(300, data)));
        decodesOrThrowsDecodeError(ctx, concat(v5Packet({ count }, []), data));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('template cache under floods', () => {
  const limits = { maxTemplatesPerSession: 16, maxTemplates: 64, maxSessions: 8, maxHeldSets: 10, maxHeldBytes: 4096 };

  it('stays within its bounds whatever the exporters, domains and template ids', () => {
    const ctx = context(limits);
    const step = fc.record({
      port: fc.integer({ min: 1, max: 20 }),
      domain: fc.integer({ min: 0, max: 3 }),
      ids: fc.array(fc.integer({ min: 256, max: 2000 }), { minLength: 1, maxLength: 30 }),
      dataFor: fc.integer({ min: 256, max: 2000 }),
      f: fieldsArb,
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        for (const s of steps) {
          ctx.setExporter('192.0.2.1', s.port);
          ctx.timeReceivedNs += 1_000_000n;
          const templates = templateSet(...s.ids.map((id) => templateRecord(id, s.f)));
          decodesOrThrowsDecodeError(ctx, ipfixMessage({ domain: s.domain }, templates, dataSet(s.dataFor, new Uint8Array(64))));
          const cache = ctx.templates;
          expect(cache.templateCount).toBeLessThanOrEqual(limits.maxTemplates);
          expect(cache.sessionCount).toBeLessThanOrEqual(limits.maxSessions);
          expect(cache.heldSets).toBeLessThanOrEqual(limits.maxHeldSets);
          expect(cache.heldBytes).toBeLessThanOrEqual(limits.maxHeldBytes);
        }
      }),
      { numRuns: 100 },
    );
    for (const s of ctx.templates.sessionList()) expect(s.templates.size).toBeLessThanOrEqual(limits.maxTemplatesPerSession);
  });

  it('templates an exporter keeps refreshing survive floods from others (fewer new templates between refreshes than the bound leaves)', () => {
    const kept = fc.integer({ min: 1, max: limits.maxTemplatesPerSession });
    const flood = fc.array(fc.record({ port: fc.integer({ min: 2, max: limits.maxSessions - 1 }), id: fc.integer({ min: 256, max: 60_000 }) }), { maxLength: 60 });
    fc.assert(
      fc.property(kept, fieldsArb, fc.array(flood, { minLength: 1, maxLength: 12 }), (k, f, steps) => {
        const ctx = context(limits);
        const ids = Array.from({ length: k }, (_, i) => 256 + i);
        const refresh = ipfixMessage({}, templateSet(...ids.map((id) => templateRecord(id, f))));
        for (const step of steps) {
          ctx.setExporter('192.0.2.1', 1);
          ctx.timeReceivedNs += 1_000_000n;
          decodeFlowDatagram(refresh, ctx, sink);
          for (const { port, id } of step.slice(0, limits.maxTemplates - k)) {
            ctx.setExporter('192.0.2.1', port);
            decodeFlowDatagram(ipfixMessage({}, templateSet(templateRecord(id, f))), ctx, sink);
          }
          const session = ctx.templates.session('192.0.2.1:1', 10, 0, ctx.nowMs);
          expect(ids.filter((id) => ctx.templates.get(session, id, ctx.nowMs) === undefined)).toEqual([]);
          expect(ctx.templates.templateCount).toBeLessThanOrEqual(limits.maxTemplates);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('follows templates redefined mid-stream: every record is read with the definition current when it came', () => {
    // Each definition puts packetDeltaCount somewhere among random fields; data records carry
    // a known packet count there, which must come back whatever the definition was.
    const definition = fc.tuple(fc.array(fieldArb.filter((f) => f.id !== 2 && f.id !== 86 && f.id !== 24), { maxLength: 8 }), fc.nat()).map(([others, at]) => {
      const pos = at % (others.length + 1);
      return [...others.slice(0, pos), { id: 2, length: 8 }, ...others.slice(pos)];
    });
    const step = fc.record({ id: fc.integer({ min: 256, max: 259 }), redefine: fc.option(definition, { nil: undefined }), packets: fc.array(fc.nat({ max: 1e9 }), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), fc.context(), (steps, log) => {
        const ctx = context();
        const current = new Map<number, FieldSpec[]>();
        const seen: number[] = [];
        const expected: number[] = [];
        const collect = { flow: (r: { packets: number }) => void seen.push(r.packets) };
        for (const s of steps) {
          const sets: Uint8Array[] = [];
          if (s.redefine) {
            current.set(s.id, s.redefine);
            sets.push(templateSet(templateRecord(s.id, s.redefine)));
          }
          const f = current.get(s.id);
          if (f && s.packets.length > 0) {
            const records = s.packets.map((p) => concat(...f.map((x) => (x.id === 2 && !x.enterprise ? u64(p) : x.length === 65535 ? varField(new Uint8Array(3)) : new Uint8Array(x.length)))));
            sets.push(dataSet(s.id, ...records));
            expected.push(...s.packets);
          }
          if (sets.length === 0) continue;
          log.log(`step ${s.id} ${s.redefine ? 'redefine' : ''} ${s.packets.join(',')}`);
          decodeFlowDatagram(ipfixMessage({}, ...sets), ctx, collect);
        }
        expect(seen).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
