import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noModelMessage } from '../../cli/decisions.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('an engine without its model says what would help', () => {
  it('sends a PostgreSQL engine to `sextant train --promote`, and an in-process one elsewhere', () => {
    expect(noModelMessage('m@production', false)).toBe('no model m@production in the registry (train one with `sextant train --promote`): decisions are off, features only');
    const embedded = noModelMessage('m@production', true);
    expect(embedded).toContain('no model m@production in the in-process registry');
    expect(embedded).toContain('registers in PostgreSQL, which this engine does not use');
    expect(embedded).toContain('`sextant demo --embedded`');
  });

  it('`sextant run --embedded` logs the in-process hint, not a `sextant train --promote` that cannot reach it', async () => {
    const env = { ...process.env, SEXTANT__prefix: `sxnomodel${process.pid}`, SEXTANT_LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'run', '--embedded'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const running = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`engine did not start in 60 s:\n${err}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('"msg":"engine running"')) {
          clearTimeout(timer);
          done();
        }
      });
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await running;
    } finally {
      child.kill('SIGINT');
    }
    await exited;
    const line = err.split('\n').find((l) => l.includes('"actor":"decisions"') && l.includes('no model'));
    expect(line, err).toBeDefined();
    expect(line).toContain('in the in-process registry');
    expect(line).not.toContain('(train one with');
  }, 90_000);
});
