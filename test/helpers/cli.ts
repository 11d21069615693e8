/**
 * Runs the real `ovs-telemetry` CLI from the sources (no build step): Node transforms the
 * TypeScript (--experimental-transform-types: common/ uses constructor parameter properties,
 * which plain type stripping rejects) and a resolve hook maps `./x.js` imports to `./x.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const TS_RESOLVE_HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, next) {
  try { return next(specifier, context); } catch (err) {
    if (/^\\.{1,2}\\/.*\\.js$/.test(specifier)) return next(specifier.slice(0, -3) + '.ts', context);
    throw err;
  }
} });`)}`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI as its own process group, so a "crash" can kill it and its children at once. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(
    process.execPath,
    ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', TS_RESOLVE_HOOK, CLI, ...args],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolveDone) => child.on('close', (code) => resolveDone({ code, stdout, stderr })));
  return { child, done };
}

export const cli = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => startCli(args, env).done;
