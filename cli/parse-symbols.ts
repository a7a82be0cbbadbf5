import { InvalidArgumentError } from 'commander';

/**
 * A `--symbols` list: comma-separated, trimmed, at least one, none given twice (a symbol named
 * twice was trained on twice and given two asset actors).
 *
 * @example parseSymbols('BTC/USDT, ETH/USDT') // ['BTC/USDT', 'ETH/USDT']
 */
export function parseSymbols(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError('at least one symbol, e.g. BTC/USDT,ETH/USDT');
  const twice = [...new Set(list.filter((s, i) => list.indexOf(s) !== i))];
  if (twice.length > 0) throw new InvalidArgumentError(`${twice.join(', ')} given more than once`);
  return list;
}
