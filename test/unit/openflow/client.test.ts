import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTelemetryError, TelemetryError } from '../../../common/errors.js';
import { OpenFlowClient, OpenFlowError } from '../../../collector/openflow/client.js';
import { MsgType, OFP13, OFP15 } from '../../../collector/openflow/constants.js';
import { OpenFlowSession } from '../../../collector/openflow/session.js';
import { FakeSwitch, multipartReply, reply, type FakeConnection } from './fake-switch.js';
import { hex } from './hex.js';

/** One OF1.5 flow desc entry (88 bytes) with this cookie: match in_port=3, 5 packets, 1000 bytes. */
function flow15(cookie: number): Buffer {
  const entry = hex(`0058 0000 07 00 1234 003c 0078 0001 0009 0000000000000000
                     0001 000c 80000004 00000003 00000000
                     0000 0028 80020008 0000000a00000064 80020808 0000000000000005 80020a08 00000000000003e8
                     0001 0008 05 000000`);
  entry.writeUInt32BE(cookie, 20);
  return entry;
}

let sw: FakeSwitch;
const clients: OpenFlowClient[] = [];

function client(options: Partial<ConstructorParameters<typeof OpenFlowClient>[0]> = {}): OpenFlowClient {
  const c = new OpenFlowClient({ target: sw.target, timeoutMs: 500, echoIntervalMs: 0, ...options });
  clients.push(c);
  return c;
}

async function connected(options: Partial<ConstructorParameters<typeof OpenFlowClient>[0]> = {}): Promise<{ c: OpenFlowClient; conn: FakeConnection }> {
  const c = client(options);
  const connecting = c.connect();
  const conn = await sw.connection(sw.connections.length);
  expect((await conn.next())[1]).toBe(MsgType.HELLO);
  await connecting;
  return { c, conn };
}

async function rejection(promise: Promise<unknown>): Promise<TelemetryError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(TelemetryError);
    return e as TelemetryError;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  sw = await FakeSwitch.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sw.stop();
});

describe('OpenFlowClient handshake', () => {
  it('negotiates OF1.5 with a switch offering 1.0 - 1.5 by bitmap', async () => {
    const { c } = await connected();
    expect(c.version).toBe(OFP15);
    expect(c.isOpen).toBe(true);
  });

  it('negotiates OF1.3 when the switch HELLO (no bitmap) says 1.3', async () => {
    sw.hello = hex('0400000800000001');
    const { c } = await connected();
    expect(c.version).toBe(OFP13);
  });

  it('refuses a switch with no common version, telling it with HELLO_FAILED', async () => {
    sw.hello = hex('0100000800000001');
    const c = client();
    const err = await rejection(c.connect());
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toMatch(/no common version/);
    const conn = await sw.connection();
    await conn.next(); // our HELLO
    const hello = await conn.next();
    expect(hello[1]).toBe(MsgType.ERROR);
    expect(hello.readUInt16BE(8)).toBe(0); // OFPET_HELLO_FAILED
    expect(c.isOpen).toBe(false);
  });

  it('rejects requests on a client that is not connected', async () => {
    await expect(client().features()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(client().flowStatsAll()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('fails with CONNECTION_FAILED when nothing listens', async () => {
    await sw.stopListening();
    const err = await rejection(client().connect());
    expect(err.code).toBe('CONNECTION_FAILED');
  });

  it('times out when the switch never says HELLO', async () => {
    sw.hello = Buffer.alloc(0);
    const err = await rejection(client({ timeoutMs: 100 }).connect());
    expect(err.code).toBe('TIMEOUT');
  });

  it('rejects a first message that is not HELLO', async () => {
    sw.hello = hex('0605000800000001');
    const err = await rejection(client().connect());
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toMatch(/expected HELLO/);
  });

  it('handles a HELLO coalesced with the next message', async () => {
    // HELLO and an ECHO_REQUEST in one write: the echo must see the negotiated version
    sw.hello = Buffer.concat([hex('0600001000000001 000100080000007e'), hex('0602000a00000077 6869')]);
    const { conn } = await connected();
    const echoReply = await conn.nextOfType(MsgType.ECHO_REPLY);
    expect(echoReply.toString('hex')).toBe('0603000a000000776869');
  });
});

describe('OpenFlowClient requests', () => {
  it('answers the switch ECHO_REQUEST with its xid and data', async () => {
    const { conn } = await connected();
    conn.send(hex('0602000c 0000abcd 70696e67'));
    expect((await conn.nextOfType(MsgType.ECHO_REPLY)).toString('hex')).toBe('0603000c0000abcd70696e67');
  });

  it('measures an echo round trip', async () => {
    const { c, conn } = await connected();
    const rtt = c.echo();
    const req = await conn.nextOfType(MsgType.ECHO_REQUEST);
    conn.send(reply(req, MsgType.ECHO_REPLY));
    expect(await rtt).toBeGreaterThanOrEqual(0);
  });

  it('matches replies to requests by xid, whatever their order', async () => {
    const { c, conn } = await connected();
    const features = c.features();
    const meters = c.meterStats();
    const featuresReq = await conn.nextOfType(MsgType.FEATURES_REQUEST);
    const metersReq = await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    const meterBody = hex('00000009 0028 000000000000 00000001 0000000000000064 0000000000001f40 0000002e 00000000');
    conn.send(multipartReply(metersReq, meterBody));
    conn.send(reply(featuresReq, MsgType.FEATURES_REPLY, hex('0000000000000abc 00000000 fe 00 0000 0000004f 00000000')));
    expect((await meters).map((m) => m.meterId)).toEqual([9]);
    expect((await features).datapathId).toBe(0xabcn);
  });

  it('streams a multipart flow reply entry by entry, across parts and arbitrary cuts', async () => {
    const { c, conn } = await connected();
    const cookies: bigint[] = [];
    const done = c.flowStats({}, (f) => cookies.push(f.cookie));
    const req = await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    const parts = [
      multipartReply(req, Buffer.concat([flow15(1), flow15(2), flow15(3)]), true),
      multipartReply(req, Buffer.concat([flow15(4)]), true),
      multipartReply(req, Buffer.alloc(0), true),
      multipartReply(req, Buffer.concat([flow15(5), flow15(6)])),
    ];
    await conn.sendInPieces(Buffer.concat(parts), 37);
    expect(await done).toBe(6);
    expect(cookies).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('collects flows with flowStatsAll and keeps counters exact', async () => {
    const { c, conn } = await connected();
    const all = c.flowStatsAll({ tableId: 7 });
    const req = await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    expect(req[16]).toBe(7); // table_id in the request body
    conn.send(multipartReply(req, flow15(42)));
    const [f] = await all;
    expect(f).toMatchObject({ cookie: 42n, tableId: 7, packetCount: 5, byteCount: 1000, durationSec: 10.0000001 });
  });

  it('rejects with TIMEOUT when the switch stays silent, and stays usable', async () => {
    const { c, conn } = await connected({ timeoutMs: 100 });
    const err = await rejection(c.tableStats());
    expect(err.code).toBe('TIMEOUT');
    const features = c.features();
    const req = await conn.nextOfType(MsgType.FEATURES_REQUEST);
    conn.send(reply(req, MsgType.FEATURES_REPLY, hex('0000000000000001 00000000 fe 00 0000 00000000 00000000')));
    expect((await features).datapathId).toBe(1n);
  });

  it('turns OFPT_ERROR into an OpenFlowError (RPC_ERROR) with type and code', async () => {
    const { c, conn } = await connected();
    const stats = c.groupStats();
    const req = await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    conn.send(reply(req, MsgType.ERROR, Buffer.concat([hex('0001 0002'), req.subarray(0, 16)])));
    const err = await rejection(stats);
    expect(err).toBeInstanceOf(OpenFlowError);
    expect(err.code).toBe('RPC_ERROR');
    expect((err as OpenFlowError).errorType).toBe(1);
    expect((err as OpenFlowError).errorCode).toBe(2);
    expect(err.message).toMatch(/BAD_REQUEST/);
    expect(c.isOpen).toBe(true);
  });

  it('ignores asynchronous messages (PORT_STATUS) and late replies', async () => {
    const { c, conn } = await connected();
    conn.send(hex('060c 0010 00000000 0000000000000000'), hex('0606 0020 00009999' + '00'.repeat(24)));
    const features = c.features();
    const req = await conn.nextOfType(MsgType.FEATURES_REQUEST);
    conn.send(reply(req, MsgType.FEATURES_REPLY, hex('0000000000000002 00000000 fe 00 0000 00000000 00000000')));
    expect((await features).datapathId).toBe(2n);
  });

  it('confirms a flow_mod with a barrier', async () => {
    const { c, conn } = await connected();
    const mod = c.flowMod({ command: 'add', tableId: 0, priority: 10, match: [{ field: 'in_port', value: 1 }], instructions: [{ type: 'goto_table', tableId: 1 }] });
    const flowMod = await conn.next();
    expect(flowMod[1]).toBe(MsgType.FLOW_MOD);
    const barrier = await conn.next();
    expect(barrier[1]).toBe(MsgType.BARRIER_REQUEST);
    conn.send(reply(barrier, MsgType.BARRIER_REPLY));
    await expect(mod).resolves.toBeUndefined();
  });

  it('rejects a meter_mod the switch refuses, before the barrier reply', async () => {
    const { c, conn } = await connected();
    const mod = c.meterMod({ command: 'add', meterId: 1, flags: ['kbps'], bands: [{ type: 'drop', rate: 1000, burstSize: 0 }] });
    const meterMod = await conn.next();
    expect(meterMod[1]).toBe(MsgType.METER_MOD);
    const barrier = await conn.next();
    conn.send(reply(meterMod, MsgType.ERROR, hex('000c 0001')), reply(barrier, MsgType.BARRIER_REPLY)); // METER_MOD_FAILED / METER_EXISTS
    const err = await rejection(mod);
    expect(err.code).toBe('RPC_ERROR');
    expect(err.message).toMatch(/METER_MOD add meter 1: METER_MOD_FAILED \(type 12\), code 1/);
  });
});

describe('OpenFlowClient under protocol violations', () => {
  async function violation(bad: (req: Buffer) => Buffer, message: RegExp): Promise<void> {
    const { c, conn } = await connected();
    const closed = new Promise<Error | undefined>((resolve) => c.once('close', resolve));
    const first = c.portStats();
    const second = c.features();
    const req = await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    conn.send(bad(req));
    const err = await rejection(first);
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toMatch(message);
    expect((await rejection(second)).code).toBe('PROTOCOL');
    expect(isTelemetryError(await closed, 'PROTOCOL')).toBe(true);
    expect(c.isOpen).toBe(false);
    expect((await rejection(c.tableStats())).code).toBe('CONNECTION_CLOSED');
    await expect.poll(() => conn.closed).toBe(true); // the client reset the connection
  }

  it('resets on a truncated multipart entry', async () => {
    await violation((req) => multipartReply(req, hex('0078 0000 00000001 0000')), /port stats entry truncated/);
  });

  it('resets on a header claiming less than 8 bytes', async () => {
    await violation(() => hex('0613 0004 00000000'), /claims length 4/);
  });

  it('resets on a message of another version', async () => {
    await violation((req) => {
      const m = multipartReply(req, Buffer.alloc(0));
      m[0] = 4;
      return m;
    }, /message version 4 on a OpenFlow15 connection/);
  });

  it('resets on a multipart reply of another type', async () => {
    await violation((req) => {
      const m = multipartReply(req, Buffer.alloc(0));
      m.writeUInt16BE(9, 8);
      return m;
    }, /multipart reply of type 9 to a request of type 4/);
  });

  it('rejects pending calls with CONNECTION_CLOSED when the switch hangs up', async () => {
    const { c, conn } = await connected();
    const pending = c.tableStats();
    await conn.nextOfType(MsgType.MULTIPART_REQUEST);
    conn.close();
    expect((await rejection(pending)).code).toBe('CONNECTION_CLOSED');
  });

  it('sends keepalive echoes and resets when they go unanswered', async () => {
    const { c, conn } = await connected({ echoIntervalMs: 50, timeoutMs: 100 });
    const closed = new Promise<Error | undefined>((resolve) => c.once('close', resolve));
    expect((await conn.nextOfType(MsgType.ECHO_REQUEST))[1]).toBe(MsgType.ECHO_REQUEST);
    const err = await closed;
    expect(isTelemetryError(err, 'TIMEOUT')).toBe(true);
  });

  it('stays up while keepalive echoes are answered', async () => {
    const { c, conn } = await connected({ echoIntervalMs: 30, timeoutMs: 100 });
    for (let i = 0; i < 4; i++) conn.send(reply(await conn.nextOfType(MsgType.ECHO_REQUEST), MsgType.ECHO_REPLY));
    expect(c.isOpen).toBe(true);
  });
});

describe('OpenFlowSession', () => {
  it('reconnects on the next use after the switch dropped the connection', async () => {
    const session = new OpenFlowSession({ target: sw.target, timeoutMs: 500, echoIntervalMs: 0, minBackoffMs: 10 });
    try {
      const answer = async (n: number, dpid: string): Promise<void> => {
        const conn = await sw.connection(n);
        const req = await conn.nextOfType(MsgType.FEATURES_REQUEST);
        conn.send(reply(req, MsgType.FEATURES_REPLY, hex(`${dpid} 00000000 fe 00 0000 00000000 00000000`)));
      };
      const first = session.use((c) => c.features());
      await answer(0, '0000000000000001');
      expect((await first).datapathId).toBe(1n);
      const old = await session.connected();
      const lost = new Promise((resolve) => old.once('close', resolve));
      sw.connections[0].close();
      await lost;
      const second = session.use((c) => c.features());
      await answer(1, '0000000000000002');
      expect((await second).datapathId).toBe(2n);
      expect(session.connections).toBe(2);
    } finally {
      session.close();
    }
  });

  it('backs off while the switch is down, then recovers', async () => {
    const session = new OpenFlowSession({ target: sw.target, timeoutMs: 200, echoIntervalMs: 0, minBackoffMs: 200, maxBackoffMs: 400 });
    try {
      await session.connected();
      await sw.stopListening();
      await expect.poll(() => sw.connections[0].closed).toBe(true);
      expect((await rejection(session.connected())).code).toBe('CONNECTION_FAILED');
      const fast = await rejection(session.connected());
      expect(fast.message).toMatch(/next attempt in \d+ ms/);
      await sw.listen();
      await new Promise((r) => setTimeout(r, 250));
      const c = await session.connected();
      expect(c.isOpen).toBe(true);
      expect(session.connections).toBe(2);
    } finally {
      session.close();
    }
  });
});
