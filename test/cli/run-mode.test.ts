import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { runWiringMode } from '../../cli/commands/run-mode.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('sextant run: the wiring mode from --embedded and --auto', () => {
  it('reads each flag alone, and neither as live', () => {
    expect(runWiringMode({})).toBe('live');
    expect(runWiringMode({ embedded: true })).toBe('embedded');
    expect(runWiringMode({ auto: true })).toBe('auto');
  });

  it('refuses --embedded with --auto instead of letting --embedded win silently', () => {
    expect(() => runWiringMode({ embedded: true, auto: true })).toThrow(InvalidArgumentError);
    expect(() => runWiringMode({ embedded: true, auto: true })).toThrow('--embedded and --auto are two wiring modes: --embedded uses in-process adapters only, --auto tries NATS, Redis and PostgreSQL first; give one');
  });

  it('exits 1 with that message, as a user types it, before starting anything', () => {
    // Before the fix this started an embedded engine and ran until the timeout killed it.
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'run', '--embedded', '--auto'], { cwd: ROOT, env: { ...process.env }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('sextant: --embedded and --auto are two wiring modes');
    expect(r.stdout).toBe('');
  }, 40_000);
});
