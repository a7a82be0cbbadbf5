import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Requester } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Logger } from '../../state/logger.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import { ControlErrorCode, ControlReplySchema } from '../control/control-messages.js';
import type { ControlReply } from '../control/control-messages.js';
import { bearerToken } from '../ws/auth.js';
import type { TokenAuth } from '../ws/auth.js';
import { BodyTooLargeError, readBody, sendJson } from './http-reply.js';

/** Verbs the dashboard may send (the CLI has the full set). */
export const DASHBOARD_VERBS = ['halt', 'resume', 'reduce', 'status'] as const;
type DashboardVerb = (typeof DASHBOARD_VERBS)[number];
const isDashboardVerb = (v: string): v is DashboardVerb => (DASHBOARD_VERBS as readonly string[]).includes(v);

export type ControlRouteDeps = Readonly<{
  bus: Requester;
  subjects: Subjects;
  auth: TokenAuth;
  originAllowed: (origin: string | undefined, host?: string) => boolean;
  timeoutMs: number;
  log: Logger;
  /** Failed authentications per client address: a locked-out one is answered 429 before its token is checked. */
  limiter?: AuthFailureLimiter;
}>;

const MAX_BODY_BYTES = 64 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

const HTTP_STATUS: Readonly<Record<ControlErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNKNOWN_VERB: 404,
  REFUSED: 409,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const failure = (id: string, code: ControlErrorCode, message: string): ControlReply => ({ v: 1, id, ok: false, error: { code, message } });

/**
 * `POST /api/ctl/<verb>` (halt, resume, reduce, status): the body is the command's args as JSON (or
 * `{ "args": … }`), e.g. `{"reason":"exchange incident","target":{"scope":"symbol","value":"BTC/USDT"}}`.
 * Needs `Authorization: Bearer <operator token>` (401 without a known token, 403 for a viewer's; 429 instead
 * of 401, unlogged, from an address with too many 401s of late: `auth-failure-limiter.ts`).
 * Forwards a control request on `sx.ctl.<verb>` with operator `dashboard:<token name>` (audited
 * by the engine like any other) and answers the engine's reply: 200 when ok, else a status from
 * its error code; 503 when no engine answered.
 */
export async function handleControl(deps: ControlRouteDeps, req: IncomingMessage, res: ServerResponse, verb: string): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, failure('?', ControlErrorCode.BAD_REQUEST, 'use POST'), { Allow: 'POST' });
  const remote = req.socket.remoteAddress ?? 'unknown';
  const token = bearerToken(req);
  const identity = deps.auth.authenticate(token);
  /**
   * A command refused here never reaches the engine, so its audit trail (`control_audit`) has no
   * row of it: the log is where an operator finds who tried what, from where, and why it was
   * refused (a viewer token pressing Halt, a page of another site, a guessed token). Never the token.
   */
  const refused = (status: number, why: string): void =>
    deps.log.warn(
      { verb: verb.slice(0, 64), status, why, token: identity?.name ?? (token === undefined ? 'none' : 'unknown'), origin: req.headers.origin ?? null, remote: req.socket.remoteAddress ?? null },
      'control request from the dashboard refused',
    );
  if (identity === undefined) {
    // Not logged past the limit: the limiter said once, when it locked the address out, and a flood would fill the log.
    const lockedMs = deps.limiter?.failed(remote, 'control') ?? 0;
    if (lockedMs > 0) return sendJson(res, 429, { error: 'too many requests', message: 'too many failed authentications from this address: try again later' }, { 'Retry-After': String(Math.ceil(lockedMs / 1000)) });
    refused(401, token === undefined ? 'no token' : 'unknown token');
    return sendJson(res, 401, { error: 'unauthorized', message: 'an operator token is required (Authorization: Bearer …)' }, { 'WWW-Authenticate': 'Bearer' });
  }
  if (identity.role !== 'operator') {
    refused(403, `role ${identity.role}`);
    return sendJson(res, 403, { error: 'forbidden', message: `token ${identity.name} may not send control commands` });
  }
  if (!deps.originAllowed(req.headers.origin, req.headers.host)) {
    refused(403, 'origin not allowed');
    return sendJson(res, 403, { error: 'forbidden', message: 'origin not allowed' });
  }
  if (!isDashboardVerb(verb)) {
    refused(404, 'not a dashboard verb');
    return sendJson(res, 404, failure('?', ControlErrorCode.UNKNOWN_VERB, `the dashboard may send ${DASHBOARD_VERBS.join(', ')}`));
  }

  const id = randomUUID();
  let args: unknown = {};
  try {
    const body = (await readBody(req, MAX_BODY_BYTES)).toString('utf8').trim();
    if (body !== '') args = JSON.parse(body) as unknown;
  } catch (e) {
    const message = e instanceof BodyTooLargeError ? e.message : 'request body is not valid JSON';
    return e instanceof BodyTooLargeError
      ? sendJson(res, 413, failure(id, ControlErrorCode.BAD_REQUEST, message), { Connection: 'close' })
      : sendJson(res, 400, failure(id, ControlErrorCode.BAD_REQUEST, message));
  }
  if (typeof args === 'object' && args !== null && !Array.isArray(args) && Object.keys(args).length === 1 && 'args' in args) args = args.args;

  const operator = `dashboard:${identity.name}`;
  const request = { v: 1, id, operator, args };
  let raw: Uint8Array;
  try {
    raw = await deps.bus.request(deps.subjects.control(verb), enc.encode(JSON.stringify(request)), deps.timeoutMs);
  } catch (e) {
    deps.log.warn({ verb, operator, err: (e as Error).message }, 'control request not answered');
    return sendJson(res, 503, failure(id, ControlErrorCode.UNAVAILABLE, `the engine did not answer: ${(e as Error).message}`));
  }
  let reply: ControlReply;
  try {
    reply = ControlReplySchema.parse(JSON.parse(dec.decode(raw)));
  } catch {
    return sendJson(res, 502, failure(id, ControlErrorCode.INTERNAL, 'the engine sent a reply the gateway does not understand'));
  }
  deps.log.info({ verb, operator, id, ok: reply.ok }, 'control request from the dashboard');
  sendJson(res, reply.ok ? 200 : HTTP_STATUS[reply.error.code], reply);
}
