import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/load.js';
import { CONTROL_NAME_RE, CONTROL_NAME_RULE, ControlReplySchema, MAX_REASON_CHARS, MAX_SCOPE_SYMBOL_CHARS } from '../../gateways/control/control-messages.js';
import { StatusResultSchema } from '../../gateways/control/status-result.js';
import { RiskLimitsPatchSchema } from '../../models/risk/risk-limits.js';
import type { ControlVerb } from '../../gateways/control/control-messages.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { INBOX_PREFIX_RE, OPERATOR_INBOX_PREFIX } from '../../streams/nats-inbox.js';
import { natsBusOptions } from '../nats-options.js';
import { refusedByNats } from '../nats-refusal.js';
import { refusedInboxOf } from '../../streams/nats-inbox-refusal.js';
import { subjectsFor } from '../../streams/subjects.js';
import { intBetween, positiveInt } from '../option-parsers.js';

type CtlGlobals = { url?: string; user?: string; password?: string; inboxPrefix: string; operator?: string; timeout: number };

const enc = new TextEncoder();
const dec = new TextDecoder();


/**
 * Limits whose value is a list (`allowlist`): `key=A` is the list of one and `key=` the empty
 * list, not the string "A" or "" that the engine would refuse as "expected array".
 */
const LIST_LIMITS: ReadonlySet<string> = new Set(
  Object.entries(RiskLimitsPatchSchema.shape)
    .filter(([, s]) => s instanceof z.ZodOptional && s.unwrap() instanceof z.ZodArray)
    .map(([k]) => k),
);

/**
 * Limits whose value is one number (`maxOrderNotional`, `windowMs`, …): a value that is not a
 * finite number (`1e400`, `Infinity`, `NaN`) is refused here, by name. Read as text, it would
 * reach the engine as a string and be refused as "expected number, received string".
 */
const NUMBER_LIMITS: ReadonlySet<string> = new Set(
  Object.entries(RiskLimitsPatchSchema.shape)
    .filter(([, s]) => s instanceof z.ZodOptional && s.unwrap() instanceof z.ZodNumber)
    .map(([k]) => k),
);

/**
 * Text that spells a number that is not finite: `1e400`, `-1e400`, `Infinity`, `NaN` (not `abc`,
 * which is text). In a list or a JSON value it would be sent as a string (or, parsed, as null).
 */
const spellsNonFinite = (s: string): boolean => /^[+-]?NaN$/.test(s.trim()) || Math.abs(Number(s)) === Infinity;

/**
 * `key=value` pairs: numbers become numbers, `a,b` lists (and any value of a list limit) become
 * arrays. Throws `InvalidArgumentError` for a numeric limit, an item of a list, or a number (or a
 * string that spells one) inside a JSON value, that is not a finite number.
 */
export function parseLimitPairs(pairs: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));
    const one = (s: string): unknown => (isNumber(s) ? Number(s) : s);
    const item = (s: string): unknown => {
      if (spellsNonFinite(s)) throw new InvalidArgumentError(`${key}: ${JSON.stringify(s)} is not a finite number (in ${raw})`);
      return one(s);
    };
    const list = (): unknown[] => (raw === '' ? [] : raw.split(',').map(item));
    const json = raw.startsWith('[') || raw.startsWith('{');
    if (NUMBER_LIMITS.has(key) && !json && !raw.includes(',') && !isNumber(raw)) throw new InvalidArgumentError(`${key}: ${JSON.stringify(raw)} is not a finite number`);
    patch[key] = json ? jsonValue(key, raw) : raw.includes(',') || LIST_LIMITS.has(key) ? list() : one(raw);
  }
  return patch;
}

/** A `key=[…]` or `key={…}` value, or an error that names the key (and the place of a number too large to be finite). */
function jsonValue(key: string, raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`${key}: not valid JSON (${(e as Error).message}): ${raw}`);
  }
  // JSON.parse reads `1e400` as Infinity, which JSON.stringify would send as null; `"Infinity"` stays a string.
  const found = nonFiniteAt(value);
  if (found !== undefined) throw new InvalidArgumentError(`${[key, ...found.at].join('.')}: ${found.value} is not a finite number (in ${raw})`);
  return value;
}

/** The first non-finite number (or string spelling one) in a parsed JSON value, as written in a message, and its path; or undefined. */
function nonFiniteAt(v: unknown): { at: string[]; value: string } | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : { at: [], value: String(v) };
  if (typeof v === 'string') return spellsNonFinite(v) ? { at: [], value: JSON.stringify(v) } : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  for (const [k, child] of Object.entries(v)) {
    const found = nonFiniteAt(child);
    if (found !== undefined) return { at: [k, ...found.at], value: found.value };
  }
  return undefined;
}

/**
 * A `--reason` for the audit trail: the engine refuses an empty one or one over
 * {@link MAX_REASON_CHARS} characters, but without an engine answering that bad argument read as "engine not reached" (exit 3).
 * Blank text is refused too: it says nothing about why.
 */
export function auditReason(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('say why, for the audit trail (it is empty)');
  if (v.length > MAX_REASON_CHARS) throw new InvalidArgumentError(`at most ${MAX_REASON_CHARS} characters, got ${v.length}`);
  return v;
}

/** `--operator`: the audit trail's who; blank text names nobody (the engine refuses it too). */
export function operatorName(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('say who is asking, for the audit trail (it is blank)');
  return v;
}

/** `--inbox-prefix`: subject tokens, no wildcards (nats.js would throw at the first request). */
export function inboxPrefix(v: string): string {
  if (!INBOX_PREFIX_RE.test(v)) throw new InvalidArgumentError(`subject tokens without wildcards or whitespace, e.g. ${OPERATOR_INBOX_PREFIX}`);
  return v;
}

/**
 * The longest `--timeout` (ms): ten minutes. Past 2^31 - 1 ms Node's timer fired at once
 * (TimeoutOverflowWarning), so `--timeout 1e12` gave up after 1 ms and said the engine could not
 * be reached (exit 3) when it may well have done what was asked.
 */
export const MAX_CTL_TIMEOUT_MS = 600_000;

/**
 * A strategy, model or alias name (`--strategy`, `<name>`, `--alias`), and a `--symbol`, as the
 * engine takes them: one it refuses (`--strategy ''`, `dir.mlp`) was sent anyway and, with no
 * engine answering, read as "engine not reached" (exit 3) instead of a bad argument.
 */
export function controlName(v: string): string {
  if (!CONTROL_NAME_RE.test(v)) throw new InvalidArgumentError(`${CONTROL_NAME_RULE}, got ${JSON.stringify(v)}`);
  return v;
}

/** `--symbol` of a scoped halt or resume: not blank, at most {@link MAX_SCOPE_SYMBOL_CHARS} characters. */
export function scopeSymbol(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('name the symbol, e.g. BTC/USDT (it is blank)');
  if (v.length > MAX_SCOPE_SYMBOL_CHARS) throw new InvalidArgumentError(`at most ${MAX_SCOPE_SYMBOL_CHARS} characters, got ${v.length}`);
  return v;
}

/** `--reason` where it may be left out (`resume`): empty is fine, too long is not. */
const optionalReason = (v: string): string => (v === '' ? v : auditReason(v));

/** A result's `warning` (text), if it has one. */
function warningOf(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null || !('warning' in result)) return undefined;
  return typeof result.warning === 'string' ? result.warning : undefined;
}

/**
 * `ctl status` of an engine deciding a backlog far behind its clock (`catchUp.catchingUp`): the
 * line said on stderr, as the JSON's `catchUp` is easy to miss in a long status. An engine that
 * replays a past window on its live clock (`catchUp.replay`: `sextant demo`) is said to replay it,
 * not warned of as a backlog. A `catchUp` of another shape (or a result that is no object) throws,
 * naming what is wrong, rather than being read as "not catching up"; one without `replay` (an
 * engine older than it) is a backlog.
 */
export function catchUpNote(result: unknown): string | undefined {
  const parsed = StatusResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(`the engine's status has a catchUp this client does not understand (${parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'result'}: ${i.message}`).join('; ')})`);
  const c = parsed.data.catchUp;
  if (c === null || c === undefined || !c.catchingUp) return undefined;
  const behind = c.behindMs !== null ? `${Math.round(c.behindMs / 60_000)} min` : 'far';
  const asOf = c.asOf !== null ? ` (up to ${new Date(c.asOf).toISOString()})` : '';
  if (c.replay === true) return `the engine is replaying a past window on its live clock: deciding data from ${behind} ago${asOf}; its orders are the replay's, not for live consumers`;
  return `the engine is catching up on a backlog: deciding data from ${behind} ago${asOf}; orders it publishes now may be expired for live consumers`;
}

/** The reply's JSON, or undefined when the bytes are not JSON (the caller says it does not understand them). */
function replyJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * NATS refused the login, the command's subject or the reply inbox (exit 1, as a refused command):
 * the server's words and what to check. A refused inbox is said as such: with `--inbox-prefix` not
 * the user's own (`_INBOX`, say) every request went unanswered, whatever the user may send.
 */
function refusedLogin(e: unknown, inboxPrefix: string): void {
  const inbox = refusedInboxOf(e, inboxPrefix);
  const why =
    inbox === undefined
      ? `${(e as Error).message} (NATS refused this login or command: check --user and --password, and that the user may send control commands: the operator user of deploy/nats/sextant.conf)`
      : inboxPrefix === OPERATOR_INBOX_PREFIX
        ? `NATS refused the subscription to the reply inbox "${inbox}" (Permissions Violation for Subscription): this login may not read replies under ${inboxPrefix}, the operator user's inboxes in deploy/nats/sextant.conf; check --user and --password (the operator user), or give this user's own prefix with --inbox-prefix`
        : `NATS refused the subscription to the reply inbox "${inbox}" (Permissions Violation for Subscription): this login may not read replies under --inbox-prefix ${inboxPrefix}; the operator user of deploy/nats/sextant.conf reads them under ${OPERATOR_INBOX_PREFIX}, the default: leave --inbox-prefix out, or give this user's own prefix`;
  process.stderr.write(`sextant ctl: ${why}\n`);
  process.exitCode = 1;
}

/**
 * Sends one control request and prints the reply: the result as JSON on stdout (exit 0), or the
 * error code and message on stderr (exit 1, also when NATS refuses the login or the user's permission
 * to send it: the credentials are wrong, not the engine down; 3 when the engine could not be
 * reached: NATS unreachable, or no engine answering on the subject).
 */
async function send(configFile: string | undefined, g: CtlGlobals, verb: ControlVerb, args: Record<string, unknown>): Promise<void> {
  const cfg = loadConfig({ file: configFile });
  const url = g.url ?? cfg.nats.url;
  const subjects = subjectsFor(cfg.prefix);
  // The operator's own login (--user/--password or in --url), never the engine's `nats.user`.
  let bus: Bus;
  try {
    bus = await createNatsBus(natsBusOptions({ url, connectTimeoutMs: 2000, inboxPrefix: g.inboxPrefix, ...(g.user !== undefined ? { user: g.user, password: g.password ?? '' } : {}) }, 'sextant-ctl'));
  } catch (e) {
    // An unreachable NATS server is as much "the engine could not be reached" as no responder:
    // the same exit code, so a script can tell it from a refused command (1). A server that
    // answers and refuses the login is a refused command: the credentials are wrong.
    if (refusedByNats(e)) return refusedLogin(e, g.inboxPrefix);
    process.stderr.write(`sextant ctl: ${(e as Error).message} (is NATS running there, and are --url, --user and --password right?)\n`);
    process.exitCode = 3;
    return;
  }
  try {
    const operator = g.operator ?? process.env['SEXTANT_OPERATOR'] ?? userInfo().username;
    const request = { v: 1, id: randomUUID(), operator, args };
    let raw: Uint8Array;
    try {
      raw = await bus.request(subjects.control(verb), enc.encode(JSON.stringify(request)), g.timeout);
    } catch (e) {
      if (refusedByNats(e)) return refusedLogin(e, g.inboxPrefix);
      process.stderr.write(`sextant ctl: ${(e as Error).message} (is the engine running and may this user send control commands?)\n`);
      process.exitCode = 3;
      return;
    }
    const reply = ControlReplySchema.safeParse(replyJson(raw));
    if (!reply.success) {
      process.stderr.write('sextant ctl: the engine sent a reply this client does not understand\n');
      process.exitCode = 1;
    } else if (reply.data.ok) {
      process.stdout.write(`${JSON.stringify(reply.data.result, null, 2)}\n`);
      // Done, with a caveat (a deploy committed but not announced yet): said where a person reads it.
      const warning = warningOf(reply.data.result);
      if (warning !== undefined) process.stderr.write(`sextant ctl: warning: ${warning}\n`);
      // Answered, but not recorded (a read-only request whose audit write failed).
      if (reply.data.warning !== undefined) process.stderr.write(`sextant ctl: warning: ${reply.data.warning}\n`);
      if (verb === 'status') {
        // The result is printed as sent; a catchUp this client cannot read is said, and fails the command.
        try {
          const catchUp = catchUpNote(reply.data.result);
          if (catchUp !== undefined) process.stderr.write(`sextant ctl: note: ${catchUp}\n`);
        } catch (e) {
          process.stderr.write(`sextant ctl: ${(e as Error).message}\n`);
          process.exitCode = 1;
        }
      }
    } else {
      process.stderr.write(`sextant ctl: ${reply.data.error.code}: ${reply.data.error.message}\n`);
      process.exitCode = 1;
    }
  } finally {
    await bus.close();
  }
}

type ScopeOpts = { strategy?: string; symbol?: string; reason?: string };
const scopeOf = (o: ScopeOpts): Record<string, string> => {
  if (o.strategy !== undefined && o.symbol !== undefined) throw new InvalidArgumentError('give --strategy or --symbol, not both');
  if (o.strategy !== undefined) return { scope: 'strategy', value: o.strategy };
  if (o.symbol !== undefined) return { scope: 'symbol', value: o.symbol };
  return { scope: 'all' };
};

/** `sextant ctl …`: operator control over NATS request/reply on `sx.ctl.<verb>`. */
export function ctlCommand(configFile: () => string | undefined): Command {
  const ctl = new Command('ctl')
    .description('operator control of a running engine (NATS request/reply, audited); exit 0 done, 1 refused or failed (by the engine, or by NATS: a login or permission it refuses), 3 engine not reached (NATS unreachable or no engine answering)')
    .option('--url <nats-url>', 'NATS server (default: config nats.url)')
    .option('--user <name>', 'NATS user (see deploy/nats/sextant.conf)')
    // From the environment through commander's env, not as a default value: a default is printed by --help.
    .addOption(new Option('--password <secret>', 'NATS password').env('NATS_PASSWORD'))
    .option('--inbox-prefix <prefix>', "where the engine's reply comes in (deploy/nats/sextant.conf: the operator user may read _INBOX_operator.> only)", inboxPrefix, OPERATOR_INBOX_PREFIX)
    .option('--operator <name>', 'who is asking, for the audit trail (default: SEXTANT_OPERATOR or the login name)', operatorName)
    .option('--timeout <ms>', `how long to wait for the reply, at most ${MAX_CTL_TIMEOUT_MS}`, intBetween(1, MAX_CTL_TIMEOUT_MS), 5000);
  const globals = (): CtlGlobals => ctl.opts<CtlGlobals>();
  const run = (verb: ControlVerb, args: Record<string, unknown>): Promise<void> => send(configFile(), globals(), verb, args);

  ctl.command('status').description('trading state, positions, PnL, actors').action(() => run('status', {}));
  ctl
    .command('halt')
    .description('stop all new orders (or those of one strategy or symbol)')
    .option('--strategy <name>', 'one strategy', controlName)
    .option('--symbol <symbol>', 'one symbol, e.g. BTC/USDT', scopeSymbol)
    .requiredOption('--reason <text>', 'why, for the audit trail', auditReason)
    .action((o: ScopeOpts) => run('halt', { target: scopeOf(o), reason: o.reason }));
  ctl
    .command('resume')
    .description('lift a halt (global, or of one strategy or symbol); also starts again the asset actors (all, or of the symbol) the supervisor gave up on')
    .option('--strategy <name>', 'one strategy', controlName)
    .option('--symbol <symbol>', 'one symbol, e.g. BTC/USDT', scopeSymbol)
    .option('--reason <text>', 'why, for the audit trail (optional)', optionalReason)
    .action((o: ScopeOpts) => run('resume', { target: scopeOf(o), reason: o.reason ?? '' }));
  ctl
    .command('reduce')
    .description('let only orders that shrink a position through, for the whole account (resume lifts it)')
    .requiredOption('--reason <text>', 'why, for the audit trail', auditReason)
    .option('--flatten', 'also close every position; the account halts by itself once flat')
    .action((o: { reason: string; flatten?: boolean }) => run('reduce', { reason: o.reason, ...(o.flatten === true ? { flatten: true } : {}) }));
  const limits = ctl.command('limits').description('risk limits');
  limits
    .command('get')
    .description('the risk limits in force (stored in PostgreSQL; they win over the config\'s risk.limits at a restart)')
    .action(() => run('limits.get', {}));
  limits
    .command('set')
    .description('change limits: key=value … (numbers, a,b lists or JSON values; allowlist=BTC/USDT is a list of one, allowlist= the empty list)')
    .argument('<pairs...>')
    .action((pairs: string[]) => run('limits.set', { patch: parseLimitPairs(pairs) }));
  const model = ctl.command('model').description('model registry');
  model
    .command('list')
    .description('registered versions, newest first, with aliases, rejected, lineage, metrics and training range (every model, or one)')
    .argument('[name]', 'one model', controlName)
    .action((name?: string) => run('model.list', name === undefined ? {} : { name }));
  model
    .command('deploy')
    .description('point an alias (default production) at a version')
    .argument('<name>', 'model name', controlName)
    .argument('<version>', 'version number', positiveInt)
    .option('--alias <alias>', 'alias to move', controlName, 'production')
    .option('--reason <text>', 'why, for the audit trail and the alias history', auditReason)
    .action((name: string, version: number, o: { alias: string; reason?: string }) => run('model.deploy', { name, version, alias: o.alias, ...(o.reason !== undefined ? { reason: o.reason } : {}) }));
  model
    .command('rollback')
    .description('move an alias back to the version it held before (or, with --to, to an earlier one, several steps at once)')
    .argument('<name>', 'model name', controlName)
    .option('--alias <alias>', 'alias to move back', controlName, 'production')
    .option('--to <version>', 'an earlier version the alias held, to go back to in one step', positiveInt)
    .option('--reason <text>', 'why, for the audit trail and the alias history', auditReason)
    .action((name: string, o: { alias: string; to?: number; reason?: string }) => run('model.rollback', { name, alias: o.alias, ...(o.to !== undefined ? { to: o.to } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}) }));
  model
    .command('remove-alias')
    .description('remove an alias (it points at nothing afterwards; the version stays deployable); production, and the alias the engine serves, are refused: deploy or roll back instead')
    .argument('<name>', 'model name', controlName)
    .argument('<alias>', 'alias to remove, e.g. candidate', controlName)
    .option('--reason <text>', 'why, for the audit trail and the alias history', auditReason)
    .action((name: string, alias: string, o: { reason?: string }) => run('model.remove-alias', { name, alias, ...(o.reason !== undefined ? { reason: o.reason } : {}) }));
  const retrain = ctl.command('retrain').description('the retraining actor (see retraining: in the config)');
  retrain
    .command('trigger')
    .description('start a retraining cycle now (when idle)')
    .option('--reason <text>', 'why, for the audit trail', auditReason, 'operator request')
    .action((o: { reason: string }) => run('retrain.trigger', { reason: o.reason }));
  retrain
    .command('pause')
    .description('hold retraining: no automatic promotion or rollback until resumed (a watched model is still scored, and judged again after the resume); a fit in progress is abandoned; shadow stats are kept; refused when already paused')
    .requiredOption('--reason <text>', 'why, for the audit trail', auditReason)
    .action((o: { reason: string }) => run('retrain.pause', { reason: o.reason }));
  retrain
    .command('resume')
    .description('let retraining go on where it was paused (refused when it is not paused)')
    .option('--reason <text>', 'why, for the audit trail and retrain status (resumeReason; optional)', optionalReason)
    .action((o: { reason?: string }) => run('retrain.resume', { reason: o.reason ?? '' }));
  retrain.command('status').description('phase, champion, challenger, shadow stats, trigger accumulators').action(() => run('retrain.status', {}));
  return ctl;
}
