import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { portArg } from '../../cli/option-parsers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** `sextant <args>` as a user types it: its exit code and stderr. */
const sextant = (args: readonly string[]): Promise<{ code: number | null; err: string }> =>
  new Promise((done, fail) => {
    const p = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], { cwd: ROOT, env: { ...process.env } });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    p.on('error', fail);
    p.on('close', (code) => done({ code, err }));
  });

/**
 * `sextant demo --dashboard --port ''` (an unset shell variable) was read as 0, which serves on a
 * free port, as `--port 0` is documented to. An empty or non-decimal value is refused as the
 * flag's error, before anything runs (no --dashboard here: had the value been taken, the demo
 * would have said --port goes with --dashboard instead).
 */
describe('sextant demo --port', () => {
  // Each value through the parser `sextant demo --port` takes; one `sextant` process (one to two
  // seconds to start) for each outcome, for its exit code and the words a user reads.
  it('refuses an empty, blank or non-decimal port naming the option', async () => {
    for (const v of ['', ' ', '0x50', '8e3', '65536', '-1']) expect(() => portArg(v), v).toThrow(new InvalidArgumentError('a port number from 0 to 65535 (0 picks a free one)'));
    const { code, err } = await sextant(['demo', '--port', '']);
    expect(code).toBe(1);
    expect(err).toContain("error: option '--port <n>' argument '' is invalid. a port number from 0 to 65535 (0 picks a free one)");
  }, 60_000);

  it('takes 0 and a port number (then says --port goes with --dashboard)', async () => {
    expect(['0', '8080', ' 443 ', '65535'].map(portArg)).toEqual([0, 8080, 443, 65_535]);
    const { code, err } = await sextant(['demo', '--port', '0']);
    expect(code).not.toBe(0);
    expect(err).toContain('--port and --hold go with --dashboard');
  }, 60_000);
});
