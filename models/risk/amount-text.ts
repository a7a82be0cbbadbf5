/**
 * How the risk texts (a halt's reason, a reject's detail) write amounts of money: 2 decimals, a
 * whole number as it is. The raw float read `drawdown 1504.2959496198841 > 1500` in `ctl status`,
 * the dashboard's banner and the risk.state message.
 */
export function moneyText(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/**
 * `value > limit` (or another comparison) as money: 2 decimals, more only where 2 would write a
 * value past its limit as equal to it (`1500.004 > 1500`, not `1500.00 > 1500`), at most 8.
 */
export function pastLimitText(value: number, op: '>' | '<', limit: number): string {
  const lim = moneyText(limit);
  let text = moneyText(value);
  for (let d = 3; d <= 8 && !Number.isInteger(value) && Number(text) === Number(lim); d++) text = value.toFixed(d);
  return `${text} ${op} ${lim}`;
}
