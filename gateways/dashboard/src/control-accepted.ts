/**
 * The operator's line for a command the engine accepted: the account's trading state (`status`),
 * and for a resume the given-up asset actors it started again (`restarted`) and the engine's
 * `note` (an engine serving no model: nothing halted to resume). A resume showed only
 * "resume accepted" there, not what it had done. An account-wide resume's `warning` (halts of a
 * strategy or symbol it leaves standing, cli/engine-control.ts) is shown too: `ctl` prints it. `action`: the dashboard's (`flatten` is a reduce).
 * Apart from control-client.ts, which needs the DOM types, so that tests type-check it without them.
 */
export function acceptedLine(action: string, symbol: string | null, result: unknown): string {
  const r: Readonly<Record<string, unknown>> = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
  const parts = [`${action}${symbol === null ? '' : ` ${symbol}`} accepted`];
  if (r['status'] !== undefined && r['status'] !== null) parts.push(`trading state ${String(r['status'])}`);
  const restarted = Array.isArray(r['restarted']) ? r['restarted'].map(String) : [];
  if (restarted.length > 0) parts.push(`given-up asset actor${restarted.length === 1 ? '' : 's'} started again: ${restarted.join(', ')}`);
  if (typeof r['note'] === 'string' && r['note'] !== '') parts.push(r['note']);
  if (typeof r['warning'] === 'string' && r['warning'] !== '') parts.push(`warning: ${r['warning']}`);
  return parts.join('; ');
}
