import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { ctlCommand } from '../../cli/commands/ctl.js';
import type { CtlResult } from './ctl.js';

/**
 * `sextant ctl <args>` as operator `carol` against the engine on `url` whose subject prefix
 * `prefix()` gives, run in this process by the command `sextant` itself runs (`ctlCommand`: the
 * same parsing, NATS request and printing), its JSON reply parsed as {@link ctlRunner} does. A
 * `sextant` process costs one to two seconds to start (tsx, the CLI's imports); a run in process
 * some milliseconds. The status is what the process would exit with: `process.exitCode` as the
 * command leaves it (0 when unset), or a commander refusal's exit code. Anything else the command
 * throws is thrown (`sextant` would print it and exit 1). Runs go one at a time, as each captures
 * process.stdout, process.stderr and process.exitCode for its length; the engine under test keeps
 * serving meanwhile. Tests of exit codes and stderr keep a real `sextant ctl` run ({@link ctlRunner}).
 */
export function ctlInProcess(url: string, prefix: () => string): (...args: string[]) => Promise<CtlResult> {
  let queue: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const run = queue.then(() => runCtl(url, prefix(), args));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function runCtl(url: string, prefix: string, args: readonly string[]): Promise<CtlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sx-ctl-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `prefix: ${prefix}\n`);
  let stdout = '';
  let stderr = '';
  const ctl = ctlCommand(() => configFile);
  const captured = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
    c.commands.forEach(captured);
  };
  captured(ctl);
  const { write: outWrite } = process.stdout;
  const { write: errWrite } = process.stderr;
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  let status: number | null;
  try {
    await ctl.parseAsync(['--url', url, '--operator', 'carol', ...args], { from: 'user' });
    status = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    status = e.exitCode;
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    process.exitCode = exitCodeBefore;
    rmSync(dir, { recursive: true, force: true });
  }
  return { status, out: status === 0 ? (JSON.parse(stdout) as unknown) : undefined, stderr };
}
