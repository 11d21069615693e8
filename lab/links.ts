/** Network namespaces, veth pairs and addresses through iproute2 and ethtool. */
import { run, tryRun } from './exec.js';

/** `ip [-n NS] …`: null is the root namespace. */
export function ip(netns: string | null, ...args: string[]): Promise<string> {
  return run('ip', netns === null ? args : ['-n', netns, ...args]);
}

export async function addNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await ip(name, 'link', 'set', 'lo', 'up');
}

export interface VethEnd {
  readonly name: string;
  readonly netns: string | null;
  readonly mac?: string;
  readonly mtu?: number;
}

function endOptions(end: VethEnd): string[] {
  return [...(end.mac ? ['address', end.mac] : []), ...(end.mtu ? ['mtu', String(end.mtu)] : [])];
}

/**
 * Creates a veth pair with each end directly in its namespace (one netlink request, so no end
 * is ever left in the wrong namespace), turns TX checksum offload off on both ends (without it
 * TCP fails through the userspace datapath: nothing fills in the checksum) and sets them up.
 */
export async function addVeth(a: VethEnd, b: VethEnd): Promise<void> {
  await ip(a.netns, 'link', 'add', a.name, ...endOptions(a), 'type', 'veth', 'peer', 'name', b.name, ...endOptions(b), ...(b.netns === null ? [] : ['netns', b.netns]));
  for (const end of [a, b]) {
    await run('ethtool', ['-K', end.name, 'tx', 'off'], { netns: end.netns });
    await ip(end.netns, 'link', 'set', end.name, 'up');
  }
}

/** Names of the links in a namespace (null: root), or [] when it does not exist. */
export async function listLinks(netns: string | null): Promise<string[]> {
  const out = await tryRun('ip', netns === null ? ['-j', 'link', 'show'] : ['-n', netns, '-j', 'link', 'show']);
  if (out === null || out.trim() === '') return [];
  return (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname);
}

/** The kind of a link (`veth`, `tun`, …) from `ip -d`, or null when it does not exist. */
export async function linkKind(name: string, netns: string | null = null): Promise<string | null> {
  const out = await tryRun('ip', [...(netns === null ? [] : ['-n', netns]), '-d', '-j', 'link', 'show', 'dev', name]);
  if (out === null) return null;
  const [link] = JSON.parse(out) as { linkinfo?: { info_kind?: string } }[];
  return link?.linkinfo?.info_kind ?? 'unknown';
}

export async function listNetns(): Promise<string[]> {
  const out = await tryRun('ip', ['-j', 'netns', 'list']);
  if (out === null || out.trim() === '') return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/** Pids of the processes in a namespace ([] when it does not exist). */
export async function netnsPids(name: string): Promise<number[]> {
  const out = await tryRun('ip', ['netns', 'pids', name]);
  return out === null ? [] : out.split(/\s+/).filter(Boolean).map(Number);
}

/** IPv4 routes of the root namespace as `dst` strings (`default`, `192.0.2.0/24`, …). */
export async function rootRoutes(): Promise<string[]> {
  const out = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  return out.trim() === '' ? [] : (JSON.parse(out) as { dst: string }[]).map((r) => r.dst);
}
