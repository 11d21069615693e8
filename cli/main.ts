#!/usr/bin/env node
/**
 * The `ovs-telemetry` command. This file and its siblings in cli/ are the only places that wire
 * components together. Exit codes: 0 success, 2 bad usage or config, 1 runtime failure.
 */
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { describeError, isTelemetryError } from '../common/errors.js';
import { VERSION } from '../common/version.js';
import { collectCommand } from './collect.js';
import { dashboardsCommand } from './dashboards.js';
import { decodeCommand } from './decode.js';
import { demoCommand } from './demo.js';
import { enforceCommand } from './enforce.js';
import { explainCommand } from './explain.js';
import { labCommand } from './lab.js';

// A long-running collector prefers a compact heap: with 10,000 interfaces V8's default growth
// left RSS at ~330 MB for ~80 MB live; this flag keeps it near 200 MB with no measurable cost to
// scrape time or sFlow decode rate (BENCHMARKS.md). Heap sizing flags apply when set this early.
setFlagsFromString('--optimize-for-size');

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('ovs-telemetry')
  .description('Observability and telemetry collector for Open vSwitch networks')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError();

program.addCommand(collectCommand());
program.addCommand(decodeCommand());
program.addCommand(enforceCommand());
program.addCommand(explainCommand());
program.addCommand(dashboardsCommand());
program.addCommand(labCommand());
program.addCommand(demoCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (isTelemetryError(err, 'CONFIG_INVALID') || isTelemetryError(err, 'USAGE') || isTelemetryError(err, 'CONFIG_UNREADABLE')) {
    process.stderr.write(`ovs-telemetry: ${describeError(err)}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`ovs-telemetry: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}
