import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promoteProblem, registeredName } from '../../cli/commands/train-promote.js';
import { trainCommand } from '../../cli/commands/train.js';

const ROOT = resolve(import.meta.dirname, '../..');
const served = { ref: 'direction-mlp@production', timeframe: '1h' };

/**
 * `sextant train --timeframe 5m --promote` pointed the production alias the engine serves at a
 * model of 5m bars; the engine swapped to it and read its inputs and horizon in bars twelve times
 * shorter than it was trained on. `ctl model deploy` refuses the same.
 */
describe('sextant train --promote of the model the engine serves', () => {
  it('is refused when trained on other bars than strategy.timeframe, and allowed otherwise', () => {
    expect(promoteProblem({ name: 'direction-mlp', timeframe: '5m', promote: true }, served)).toBe(
      '--promote would point direction-mlp@production, which the engine serves (strategy.model), at a model trained on 5m bars; the engine decides on 1h bars (strategy.timeframe): train with --timeframe 1h, register under another --name, or leave out --promote',
    );
    expect(promoteProblem({ name: 'direction-mlp', timeframe: '1h', promote: true }, served)).toBeUndefined();
    expect(promoteProblem({ name: 'direction-mlp', timeframe: '5m' }, served)).toBeUndefined(); // not promoted
    expect(promoteProblem({ name: 'direction-5m', timeframe: '5m', promote: true }, served)).toBeUndefined(); // another model
    expect(promoteProblem({ model: 'gru', timeframe: '5m', promote: true }, served)).toBeUndefined(); // registers direction-gru
    expect(promoteProblem({ name: 'direction-gru', model: 'gru', timeframe: '5m', promote: true }, { ref: 'direction-gru', timeframe: '1h' })).toContain('direction-gru@production');
    expect(promoteProblem({ name: 'direction-mlp', timeframe: '5m', promote: true }, { ref: 'direction-mlp@3', timeframe: '1h' })).toBeUndefined(); // a pinned version
    expect(registeredName({ model: 'ensemble' })).toBe('direction-ensemble');
    expect(registeredName({})).toBe('direction-mlp');
  });

  it('takes a --name given with --model gru|ensemble, direction-mlp included, and checks the promotion of that name', async () => {
    // `--name direction-mlp` was read as the default and the GRU registered (and promoted) as direction-gru.
    expect(registeredName({ name: 'direction-mlp', model: 'gru' })).toBe('direction-mlp');
    expect(registeredName({ name: 'direction-mlp', model: 'ensemble' })).toBe('direction-mlp');
    const cmd = trainCommand(() => Promise.reject(new Error('no registry in this test')), undefined, () => served).exitOverride();
    await expect(cmd.parseAsync(['--model', 'gru', '--name', 'direction-mlp', '--timeframe', '5m', '--promote', '--data', '/nonexistent'], { from: 'user' })).rejects.toThrow(
      '--promote would point direction-mlp@production, which the engine serves (strategy.model), at a model trained on 5m bars',
    );
  });

  it('stops `sextant train` before it reads any data (exit 1, the reason on stderr)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'train', '--timeframe', '5m', '--promote', '--data', '/nonexistent'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SEXTANT__strategy__timeframe: '1h' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--promote would point direction-mlp@production');
    expect(r.stderr).not.toContain('/nonexistent');
  }, 60_000);
});
