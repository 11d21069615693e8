/**
 * Kernel statistics of one of our own UDP sockets from /proc/net/udp and /proc/net/udp6
 * (proc(5)): the receive-queue length and the `drops` column, the datagrams the kernel threw
 * away because the socket's receive buffer was full. Node does not expose the socket's fd, so
 * the socket is found once by its local port among the inodes this process holds open
 * (/proc/self/fd/N -> "socket:[INODE]"), then read by inode.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TABLES = ['/proc/net/udp', '/proc/net/udp6'] as const;

export interface UdpSocketCounters {
  /** Datagrams dropped by the kernel for this socket since it was created. */
  readonly drops: number;
  /** Bytes waiting in the receive queue. */
  readonly rxQueueBytes: number;
}

/** One row of /proc/net/udp{,6}: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops. */
interface UdpRow {
  readonly localPort: number;
  readonly inode: number;
  readonly drops: number;
  readonly rxQueueBytes: number;
}

/** Parses a /proc/net/udp or /proc/net/udp6 table; malformed lines are skipped. */
export function parseProcNetUdp(text: string): UdpRow[] {
  const rows: UdpRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const colon = f[1].lastIndexOf(':');
    const queues = f[4].split(':');
    const row = {
      localPort: parseInt(f[1].slice(colon + 1), 16),
      inode: Number(f[9]),
      drops: Number(f[12]),
      rxQueueBytes: parseInt(queues[1] ?? '', 16),
    };
    if (Number.isFinite(row.localPort) && Number.isFinite(row.inode) && Number.isFinite(row.drops) && Number.isFinite(row.rxQueueBytes)) rows.push(row);
  }
  return rows;
}

function readTable(file: string): UdpRow[] {
  try {
    return parseProcNetUdp(readFileSync(file, 'latin1'));
  } catch {
    return []; // no /proc (not Linux, a restricted container): fewer metrics, not a failure
  }
}

/** Inodes of the sockets this process has open. */
function ownSocketInodes(): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes;
}

export class UdpSocketStats {
  private inode = 0;

  /** `localPort`: the port our socket is bound to. */
  constructor(private readonly localPort: number) {}

  /** The socket's counters now, or null when /proc does not show it. */
  read(): UdpSocketCounters | null {
    if (this.inode === 0) this.inode = this.findInode();
    if (this.inode === 0) return null;
    for (const table of TABLES) {
      for (const row of readTable(table)) {
        if (row.inode === this.inode) return { drops: row.drops, rxQueueBytes: row.rxQueueBytes };
      }
    }
    return null;
  }

  private findInode(): number {
    const candidates = TABLES.flatMap(readTable).filter((r) => r.localPort === this.localPort && r.inode !== 0);
    if (candidates.length === 0) return 0;
    const own = ownSocketInodes();
    return candidates.find((r) => own.has(r.inode))?.inode ?? 0;
  }
}
