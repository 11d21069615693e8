/**
 * `decode --ovsdb ENDPOINT`: a record stage that attributes decoded records to Neutron ports,
 * networks and projects. It connects an OVSDB client once, waits for the Open_vSwitch monitor's
 * initial state, and enriches every record from that state (the same FlowEnricher as `collect`).
 * The option says the capture came from that OVS, so its numbers are taken as that host's:
 * ifindexes, and OpenFlow port numbers in NetFlow v5 (what OVS puts in its input/output fields).
 */
import { describeError, TelemetryError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { FlowEnricher, NUMBERS_IFINDEX, NUMBERS_OFPORT } from '../collector/flows/enrich.js';
import { VSWITCH_MONITOR, VswitchModel } from '../collector/ovs/model.js';
import { OvsdbClient } from '../collector/ovsdb/client.js';
import type { TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';
import type { RecordStage } from './decode.js';

export interface TenancyStage {
  readonly stage: RecordStage;
  readonly enricher: FlowEnricher;
  close(): Promise<void>;
}

export interface TenancyStageOptions {
  readonly endpoint: string;
  readonly mapping: TenancyMapping;
  readonly logger: Logger;
  /** How long to wait for the OVSDB state (default 10 s). */
  readonly timeoutMs?: number;
}

/** Connects, waits for the vswitch state, and returns the enrichment stage; throws CONNECTION_FAILED. */
export async function openTenancyStage(opts: TenancyStageOptions): Promise<TenancyStage> {
  const client = new OvsdbClient({ endpoint: opts.endpoint, logger: opts.logger, backoff: { initialMs: 100, maxMs: 1000 } });
  const replica = client.monitor('Open_vSwitch', VSWITCH_MONITOR);
  const model = new VswitchModel(replica, new TenancyResolver(opts.mapping));
  let lastError: Error | undefined;
  client.on('disconnected', (err) => (lastError = err ?? lastError));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  client.start();
  const synced = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    replica.once('synced', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!synced) {
    await client.close();
    throw new TelemetryError('CONNECTION_FAILED', `no OVSDB state from ${opts.endpoint} within ${timeoutMs} ms${lastError ? `: ${describeError(lastError)}` : ''}`);
  }
  // The file is decoded from this snapshot: later changes are not followed.
  const interfaces = model.interfaces();
  const enricher = new FlowEnricher({ interfaces: () => interfaces, networks: () => opts.mapping.networks.values(), maxPortNames: 65_536 });
  const stage: RecordStage = (next) => ({
    flow(rec) {
      enricher.enrich(rec, rec.type === 'NETFLOW_V5' ? NUMBERS_OFPORT : NUMBERS_IFINDEX);
      next.flow(rec);
    },
    counters(rec) {
      enricher.learn(rec);
      next.counters(rec);
    },
  });
  return { stage, enricher, close: () => client.close() };
}
