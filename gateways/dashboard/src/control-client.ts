import { ControlReplySchema } from '../../control/control-messages.js';
import type { ControlAction } from './panels/risk.js';
import { acceptedLine } from './control-accepted.js';
import { controlRefusal } from './auth-lockout.js';

/**
 * `POST /api/ctl/<verb>` with the operator's bearer token; the body is the command's arguments as
 * `sextant ctl` sends them (`{ reason, target? }`; `flatten` is `reduce` with `flatten: true`),
 * audited by the engine under the token's name.
 * Resolves to a line for the operator when the engine accepted the command; rejects with the
 * reason otherwise (401/403, 429 for an address locked out for failed logins, a refused command, the engine not answering).
 */
export async function sendControl(base: string, action: ControlAction, operatorToken: string, symbol: string | null, reason: string): Promise<string> {
  // Reduce-only is the whole account's state: a symbol typed in would be refused by the engine.
  if ((action === 'reduce' || action === 'flatten') && symbol !== null) throw new Error(`${action === 'reduce' ? 'reduce-only' : 'flatten'} applies to the whole account: clear the symbol`);
  const verb = action === 'flatten' ? 'reduce' : action;
  const args = {
    reason: reason !== '' ? reason : `${action} from the dashboard`,
    ...(symbol === null ? {} : { target: { scope: 'symbol', value: symbol } }),
    ...(action === 'flatten' ? { flatten: true } : {}),
  };
  const res = await fetch(`${base}/api/ctl/${verb}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${operatorToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  // 429: the address is locked out for failed logins (a refused token too, with Retry-After), not an unexpected reply.
  const refusal = controlRefusal(res.status, res.headers.get('Retry-After'), Date.now());
  if (refusal !== null) throw new Error(refusal);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  const reply = ControlReplySchema.safeParse(json);
  if (!reply.success) throw new Error(`HTTP ${res.status}: unexpected reply ${text.slice(0, 200)}`);
  if (!reply.data.ok) throw new Error(`${action} refused: ${reply.data.error.code} — ${reply.data.error.message}`);
  return acceptedLine(action, symbol, reply.data.result);
}

