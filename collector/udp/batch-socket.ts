/**
 * The native batch UDP socket (native/udp_batch.c): recvmmsg(2) takes up to 32 datagrams per
 * system call and JavaScript is called once per batch, where node:dgram calls it once per datagram
 * with a fresh Buffer, rinfo object and address string. Built by scripts/build-native.sh; when it
 * was not built (no C compiler) or cannot load, `loadBatchSocket()` says why and the listeners use
 * node:dgram.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError } from '../../common/errors.js';

/** One batch: `count` datagrams, or -errno for a socket error; `addresses` when the table changed. */
type BatchCallback = (count: number, addresses: string[] | undefined) => void;

interface OpenedSocket {
  readonly handle: unknown;
  readonly port: number;
  /** SO_RCVBUF as the kernel granted it (getsockopt: twice what was asked, capped by rmem_max). */
  readonly receiveBufferBytes: number;
  /** BATCH slots of `slotBytes`: datagram i starts at i * slotBytes. */
  readonly data: ArrayBuffer;
  /** Per datagram i: [3i] length, [3i + 1] index into the address table, [3i + 2] source port. */
  readonly meta: Int32Array;
  readonly slotBytes: number;
}

export interface UdpBatchAddon {
  open(host: string, port: number, receiveBufferBytes: number, onBatch: BatchCallback): OpenedSocket;
  close(handle: unknown, onClosed: () => void): void;
}

/** Called per datagram; `buf` is only valid during the call (the next batch reuses its memory). */
export type DatagramHandler = (buf: Buffer, address: string, port: number) => void;

const ADDON_PATH = join('native', 'build', 'Release', 'udp_batch.node');

/** The addon below the package root (this file runs from the sources or from dist/). */
function findAddon(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, ADDON_PATH))) return join(dir, ADDON_PATH);
  }
  return undefined;
}

let loaded: { addon: UdpBatchAddon } | { reason: string } | undefined;

/** The addon, or why it is not there (once per process). */
export function loadBatchSocket(): { addon: UdpBatchAddon } | { reason: string } {
  if (loaded !== undefined) return loaded;
  const path = findAddon();
  if (path === undefined) return (loaded = { reason: `${ADDON_PATH} not built (scripts/build-native.sh)` });
  try {
    return (loaded = { addon: createRequire(import.meta.url)(path) as UdpBatchAddon });
  } catch (err) {
    return (loaded = { reason: `${path} does not load: ${describeError(err)}` });
  }
}

/** A bound socket delivering its datagrams to `onDatagram`, a batch at a time. */
export class BatchSocket {
  readonly port: number;
  readonly receiveBufferBytes: number;
  private handle: unknown;
  private addresses: string[] = [];
  private readonly slots: Buffer[];
  private readonly meta: Int32Array;

  /**
   * Binds `host` (a numeric address) and `port`; throws an Error with the system call's reason.
   * `batchStarted` and `batchEnded` run around each batch's datagrams (the listeners time a batch once).
   */
  constructor(
    private readonly addon: UdpBatchAddon,
    host: string,
    port: number,
    receiveBufferBytes: number,
    private readonly onDatagram: DatagramHandler,
    private readonly batchStarted: () => void,
    private readonly batchEnded: () => void,
    private readonly onError: (errno: number) => void,
  ) {
    const opened = addon.open(host, port, receiveBufferBytes, (count, addresses) => this.batch(count, addresses));
    this.handle = opened.handle;
    this.port = opened.port;
    this.receiveBufferBytes = opened.receiveBufferBytes;
    this.meta = opened.meta;
    const slotCount = opened.data.byteLength / opened.slotBytes;
    this.slots = Array.from({ length: slotCount }, (_, i) => Buffer.from(opened.data, i * opened.slotBytes, opened.slotBytes));
  }

  /** Stops receiving; resolves when the port is free again (idempotent). */
  close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle === null) return Promise.resolve();
    return new Promise((resolve) => this.addon.close(handle, resolve));
  }

  private batch(count: number, addresses: string[] | undefined): void {
    if (count < 0) {
      this.onError(-count);
      return;
    }
    if (addresses !== undefined) this.addresses = addresses;
    this.batchStarted();
    const meta = this.meta;
    for (let i = 0; i < count; i++) {
      const m = i * 3;
      // A Buffer like node:dgram's, so the decoders see one kind of array whichever socket fed them.
      this.onDatagram(this.slots[i].subarray(0, meta[m]), this.addresses[meta[m + 1]], meta[m + 2]);
    }
    this.batchEnded();
  }
}
