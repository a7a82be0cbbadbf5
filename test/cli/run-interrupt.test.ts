import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runEngine } from '../../cli/commands/run.js';
import { fakeProcess } from '../support/fake-signals.js';

/**
 * A SIGINT or SIGTERM while `sextant run` starts (connecting, claiming its namespace, starting the
 * engine) got Node's default before its stop handlers were installed: a silent exit 130 that closed
 * nothing. The signal comes here while the adapters connect (runEngine's first await).
 */
describe('sextant run interrupted during start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-run-interrupt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: closes what it opened, says so on stderr and exits %i', async (signal, code) => {
    const file = join(dir, `${signal}.yaml`);
    writeFileSync(file, `prefix: sxri${process.pid}${signal.toLowerCase()}\nlog:\n  level: silent\n`);
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    const proc = fakeProcess();
    const run = runEngine({ configFile: file, mode: 'embedded', signals: proc });
    proc.send(signal);
    await run;
    const line = err.find((l) => l.includes('interrupted during start-up'));
    expect(line, err.join('')).toBe(`sextant: interrupted during start-up by ${signal}: closed the adapters; nothing is left running\n`);
    expect(process.exitCode).toBe(code);
    expect(proc.listeners()).toBe(0);
  }, 30_000);
});
