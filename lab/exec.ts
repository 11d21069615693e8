/**
 * Runs the lab's external commands (ip, ethtool, ovs-*, iperf3, ping) with argument arrays,
 * never through a shell. A failure names the command line and carries its stderr.
 */
import { execFile } from 'node:child_process';
import { TelemetryError } from '../common/errors.js';

export interface RunOptions {
  /** Run inside this network namespace (`ip netns exec NS …`). */
  readonly netns?: string | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Which Debian package provides a command, for the "not found" message. */
const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  ss: 'iproute2',
  ethtool: 'ethtool',
  iperf3: 'iperf3',
  ping: 'iputils-ping',
};

function packageOf(command: string): string {
  return PACKAGE_OF[command] ?? (command.startsWith('ovs') ? 'openvswitch-switch' : command);
}

export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].join(' ');
}

/**
 * Runs `command args…` and resolves with its stdout; rejects with a TelemetryError: 'TIMEOUT' when
 * it was killed at `timeoutMs`, 'LAB' for any other failure.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const [file, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, command, ...args]] : [command, [...args]];
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      argv,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err === null) {
          resolvePromise(stdout);
          return;
        }
        const line = commandLine(file, argv);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new TelemetryError('LAB', `${file} not found (install the Debian package ${packageOf(file)}): ${line}`, { cause: err }));
          return;
        }
        const why = err.killed ? `timed out after ${options.timeoutMs ?? 30_000} ms` : `exit ${String(err.code)}`;
        const detail = stderr.trim() || stdout.trim() || err.message;
        reject(new TelemetryError(err.killed ? 'TIMEOUT' : 'LAB', `command failed (${why}): ${line}: ${detail}`, { cause: err }));
      },
    );
  });
}

/** Like run(), but a failure resolves to null (for best-effort cleanup and probes). */
export async function tryRun(command: string, args: readonly string[], options: RunOptions = {}): Promise<string | null> {
  try {
    return await run(command, args, options);
  } catch {
    return null;
  }
}
