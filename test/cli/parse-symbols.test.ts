import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseSymbols } from '../../cli/parse-symbols.js';

describe('--symbols', () => {
  it('takes a comma-separated list, trimmed', () => {
    expect(parseSymbols('BTC/USDT, ETH/USDT ,SOL/USDT,')).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
  });

  it('refuses an empty list and a symbol given twice, as commander argument errors', async () => {
    expect(() => parseSymbols(' , ')).toThrow('at least one symbol');
    expect(() => parseSymbols('BTC/USDT,ETH/USDT,BTC/USDT,ETH/USDT')).toThrow('BTC/USDT, ETH/USDT given more than once');
    const cmd = new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .option('--symbols <list>', 'symbols', parseSymbols)
      .action(() => undefined);
    await expect(cmd.parseAsync(['--symbols', 'BTC/USDT,BTC/USDT'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});
