import { describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/**
 * `sextant train --model gru --window 1` (or 300) and `--name 'bad/x'` read the bars, opened the
 * registry (and for the name, fitted the model) and then failed with the raw zod issue list
 * (`sextant: [ { "origin": "number", "code": "too_small", … } ]`). They are now the flag's error.
 */
describe('sextant train: option values the trainer cannot take', () => {
  const run = (...args: string[]): Promise<unknown> => {
    const registry = tinyRegistry();
    return trainCommand(() => Promise.resolve(registry))
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .parseAsync(['--data', '/nonexistent-sextant-data', '--symbols', 'BTC/USDT', ...args], { from: 'user' });
  };

  it('refuses a GRU window outside 2..256 as the flag', async () => {
    await expect(run('--model', 'gru', '--window', '1')).rejects.toThrow("option '--window <bars>' argument '1' is invalid. an integer from 2 to 256");
    await expect(run('--model', 'gru', '--window', '300')).rejects.toThrow("argument '300' is invalid. an integer from 2 to 256");
  });

  it('refuses a model name the registry would refuse as the flag', async () => {
    await expect(run('--name', 'bad/x')).rejects.toThrow("option '--name <name>' argument 'bad/x' is invalid. a model name is 1–64 of A-Z a-z 0-9 _ -");
    await expect(run('--name', 'x'.repeat(65))).rejects.toThrow('a model name is 1–64');
  });
});
