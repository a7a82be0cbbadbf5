import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export type CtlResult = Readonly<{ status: number | null; out: unknown; stderr: string }>;

/**
 * Runs `sextant ctl <args>` as operator `carol` against the engine on `url` whose subject prefix
 * `prefix()` gives, and parses its JSON reply. Asynchronous: the engine under test runs in the
 * test's process and must keep serving meanwhile.
 */
export function ctlRunner(url: string, prefix: () => string): (...args: string[]) => Promise<CtlResult> {
  return (...args) =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [resolve(ROOT, 'bin/sextant.js'), 'ctl', '--url', url, '--operator', 'carol', ...args],
        { cwd: ROOT, env: { ...process.env, SEXTANT__prefix: prefix() }, encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => {
          const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
          done({ status, out: status === 0 ? (JSON.parse(stdout) as unknown) : undefined, stderr });
        },
      );
    });
}
