import { retryingStoreWrite } from '../../actors/retrying-store-write.js';
import type { StoreRetryPolicy } from '../../actors/retrying-store-write.js';
import type { Responder, Subscription } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { AuditEntry, AuditStore } from '../../state/audit-store.js';
import type { Clock, TimerHandle } from '../../state/clock.js';
import { StoreError } from '../../state/errors.js';
import type { Logger } from '../../state/logger.js';
import { AUDIT_DEADLINE_MS } from './control-config.js';
import { ControlArgsSchemas, ControlError, ControlErrorCode, ControlRequestSchema, isControlVerb } from './control-messages.js';
import type { ControlReply, ControlVerb } from './control-messages.js';
import type { ControlTarget, RetrainingControl } from './control-target.js';

export type ControlServerDeps = Readonly<{
  bus: Responder;
  subjects: Subjects;
  target: ControlTarget;
  audit: AuditStore;
  clock: Clock;
  log: Logger;
  /** How an audit write that failed transiently is tried again (on `clock`); default {@link AUDIT_RETRY}. */
  auditRetry?: StoreRetryPolicy;
  /** How long a request's audit write, tries included, may take before the reply goes out without it (on `clock`); default {@link AUDIT_DEADLINE_MS}. */
  auditDeadlineMs?: number;
}>;

/**
 * An audit write that fails with a connection error, a serialization failure or another failure
 * PostgreSQL may not hit again (`StoreError.retryable`, state/pg-errors.ts) is tried 3 times in
 * all, 50 then 100 ms apart (no jitter); any other failure is not tried again. A try whose commit
 * went through but whose answer was lost leaves the row twice, the same (request id, time).
 */
export const AUDIT_RETRY: StoreRetryPolicy = { attempts: 3, firstDelayMs: 50, maxDelayMs: 100 };

/*
 * AUDIT_DEADLINE_MS: a PostgreSQL that hangs rather than refuses (a lock held on the audit table,
 * a server that accepts and never answers) held an audit write for ever, or 3 s per try waiting
 * for a pooled connection: past `sextant ctl`'s default 5 s the operator was told the engine could
 * not be reached, with the request carried out. After the deadline the write is given up on: the
 * reply goes out as after a failed write (a read-only answer with a warning, a change UNAVAILABLE),
 * no further try starts, and the try under way may still store its row. Config `control.auditDeadlineMs`.
 */
export { AUDIT_DEADLINE_MS };

/** Verbs that change something: a request of one of these is carried out once per request id. */
const CHANGING: ReadonlySet<ControlVerb> = new Set<ControlVerb>(['halt', 'resume', 'reduce', 'limits.set', 'model.deploy', 'model.rollback', 'model.remove-alias', 'retrain.trigger', 'retrain.pause', 'retrain.resume']);
/** How many carried-out requests are remembered for retries (the oldest are forgotten first). */
const REMEMBERED = 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_REQUEST_BYTES = 64 * 1024;

const zodMessage = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string =>
  issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(request)'}: ${i.message}`).join('; ');

const retraining = (t: ControlTarget): RetrainingControl => {
  if (t.retraining === undefined) throw new ControlError(ControlErrorCode.UNAVAILABLE, 'this engine runs no retraining actor (retraining.enabled is false)');
  return t.retraining;
};

/** A target's result with what its audit row is to hold instead (see `Done` in {@link startControlServer}). */
class Audited {
  constructor(
    readonly result: unknown,
    readonly audit: unknown,
  ) {}
}

/**
 * Serves `sx.ctl.<verb>`: validates the request, acts through the target, writes the audit row,
 * then replies. A request that cannot be parsed is still answered (BAD_REQUEST) and audited
 * under operator `?`. Nothing a request carries can take the server down.
 */
export function startControlServer(deps: ControlServerDeps): Subscription {
  const prefix = `${deps.subjects.control('')}`; // `sx.ctl.`
  const log = deps.log.child({ actor: 'control' });
  const retryAudit = retryingStoreWrite(deps.clock, deps.auditRetry ?? AUDIT_RETRY, (e, attempt, delayMs) =>
    log.warn({ err: e instanceof Error ? e.message : String(e), attempt, delayMs }, 'audit write failed, trying again'),
  );
  const deadlineMs = deps.auditDeadlineMs ?? AUDIT_DEADLINE_MS;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new RangeError(`auditDeadlineMs must be a positive number of ms, got ${deadlineMs}`);

  /** The audit write with its tries, given up on after `deadlineMs` (see {@link AUDIT_DEADLINE_MS}). */
  const writeAudit = async (entry: AuditEntry): Promise<void> => {
    let late = false;
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = deps.clock.setTimeout(() => {
        late = true;
        reject(new StoreError(`no answer from the audit store within ${deadlineMs} ms (its row may still be stored)`, true));
      }, deadlineMs);
    });
    const write = retryAudit(async () => {
      if (late) throw new StoreError('audit deadline passed: not tried again', false);
      await deps.audit.record(entry);
      if (late) log.warn({ verb: entry.verb, id: entry.requestId }, 'audit row stored after its deadline (the reply said it failed)');
    })();
    write.catch(() => {}); // after the deadline, its failure is the log's (retries, 'audit write failed') only
    try {
      await Promise.race([write, deadline]);
    } finally {
      if (timer !== undefined) deps.clock.clearTimeout(timer);
    }
  };

  /**
   * What a request did: the reply's `result`, and, where the reply alone does not say what changed,
   * the audit row's detail. `limits set` answers the limits now in force; its row holds them beside
   * those they replaced (`before`, `after`): the patch and the limits after it did not tell an
   * auditor what a limit had been (the first ones come from the configuration, never audited).
   */
  type Done = Readonly<{ result: unknown; audit?: unknown }>;
  const act = async (verb: ControlVerb, rawArgs: unknown, operator: string): Promise<Done> => {
    const done = await carryOut(verb, rawArgs, operator);
    return done instanceof Audited ? { result: done.result, audit: done.audit } : { result: done };
  };
  const carryOut = async (verb: ControlVerb, rawArgs: unknown, operator: string): Promise<unknown> => {
    const parsed = ControlArgsSchemas[verb].safeParse(rawArgs);
    if (!parsed.success) throw new ControlError(ControlErrorCode.BAD_REQUEST, zodMessage(parsed.error.issues));
    const t = deps.target;
    switch (verb) {
      case 'status':
        return t.status();
      case 'halt':
        return t.halt(ControlArgsSchemas.halt.parse(rawArgs), operator);
      case 'resume':
        return t.resume(ControlArgsSchemas.resume.parse(rawArgs), operator);
      case 'reduce':
        return t.reduce(ControlArgsSchemas.reduce.parse(rawArgs), operator);
      case 'limits.get':
        return t.getLimits();
      case 'limits.set': {
        const before = await t.getLimits();
        const after = await t.setLimits(ControlArgsSchemas['limits.set'].parse(rawArgs).patch, operator);
        return new Audited(after, { before, after });
      }
      case 'model.list':
        return t.listModels(ControlArgsSchemas['model.list'].parse(rawArgs).name);
      case 'model.deploy':
        return t.deployModel(ControlArgsSchemas['model.deploy'].parse(rawArgs), operator);
      case 'model.rollback':
        return t.rollbackModel(ControlArgsSchemas['model.rollback'].parse(rawArgs), operator);
      case 'model.remove-alias':
        return t.removeModelAlias(ControlArgsSchemas['model.remove-alias'].parse(rawArgs), operator);
      case 'retrain.trigger':
        return retraining(t).trigger(ControlArgsSchemas['retrain.trigger'].parse(rawArgs), operator);
      case 'retrain.pause':
        return retraining(t).pause(ControlArgsSchemas['retrain.pause'].parse(rawArgs), operator);
      case 'retrain.resume':
        return retraining(t).resume(ControlArgsSchemas['retrain.resume'].parse(rawArgs), operator);
      case 'retrain.status':
        return retraining(t).status();
    }
  };

  /**
   * The requests carried out (and those being carried out), by operator and request id: a retry
   * — the same id, verb and arguments, after a timeout or a lost reply — is answered with the
   * first one's result and changes nothing more (a repeated `model rollback` went back two
   * versions). The same id with another verb or other arguments is refused. A request that failed
   * is not remembered: its retry is carried out.
   */
  const carriedOut = new Map<string, Readonly<{ request: string; result: Promise<Done> }>>();
  const once = (verb: ControlVerb, args: unknown, operator: string, id: string): Readonly<{ result: Promise<Done>; repeat: boolean }> => {
    const key = `${operator}\u0000${id}`;
    const request = JSON.stringify([verb, args]);
    const prior = carriedOut.get(key);
    if (prior !== undefined) {
      if (prior.request !== request) throw new ControlError(ControlErrorCode.BAD_REQUEST, `request id ${id} was used for another request (${prior.request}); a retry must repeat it unchanged`);
      return { result: prior.result, repeat: true };
    }
    const result = act(verb, args, operator);
    carriedOut.set(key, { request, result });
    result.catch(() => carriedOut.delete(key));
    if (carriedOut.size > REMEMBERED) carriedOut.delete(carriedOut.keys().next().value as string);
    return { result, repeat: false };
  };

  const handle = async (data: Uint8Array, subject: string): Promise<Uint8Array> => {
    const verb = subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
    let id = '?';
    let operator = '?';
    let args: unknown = null;
    let reply: ControlReply;
    let repeat = false;
    let audited: unknown;
    try {
      if (data.byteLength > MAX_REQUEST_BYTES) throw new ControlError(ControlErrorCode.BAD_REQUEST, `request of ${data.byteLength} bytes exceeds ${MAX_REQUEST_BYTES}`);
      let json: unknown;
      try {
        json = JSON.parse(dec.decode(data));
      } catch {
        throw new ControlError(ControlErrorCode.BAD_REQUEST, 'request is not valid JSON');
      }
      const req = ControlRequestSchema.safeParse(json);
      if (!req.success) throw new ControlError(ControlErrorCode.BAD_REQUEST, zodMessage(req.error.issues));
      ({ id, operator, args } = req.data);
      if (!isControlVerb(verb)) throw new ControlError(ControlErrorCode.UNKNOWN_VERB, `unknown control verb ${JSON.stringify(verb)}`);
      let done: Done;
      if (CHANGING.has(verb)) {
        const r = once(verb, args, operator, id);
        repeat = r.repeat;
        done = await r.result;
      } else done = await act(verb, args, operator);
      reply = { v: 1, id, ok: true, result: done.result ?? null };
      audited = 'audit' in done ? done.audit : reply.result;
    } catch (e) {
      const code = e instanceof ControlError ? e.code : ControlErrorCode.INTERNAL;
      const message = e instanceof Error ? e.message : String(e);
      if (code === ControlErrorCode.INTERNAL) log.error({ err: message, verb }, 'control request failed');
      reply = { v: 1, id, ok: false, error: { code, message } };
    }
    const entry = {
      requestId: id,
      operator,
      verb,
      args,
      outcome: reply.ok ? ('ok' as const) : ('error' as const),
      // A retry is audited too, as what it was: the answer of the request it repeats.
      detail: reply.ok ? (repeat ? { repeatOf: id, result: reply.result } : audited) : reply.error,
      at: deps.clock.now(),
    };
    try {
      await writeAudit(entry);
    } catch (e) {
      // An unaudited command must not look successful: the action happened, so say so plainly. A
      // request that failed keeps its own error (it was not done), and says the audit failed too.
      // A read-only request that was answered (status, limits get, model list, retrain status)
      // changed nothing: its answer is still given, with a warning that it went unrecorded (a
      // desk asking for the status during a PostgreSQL blip wants the status).
      const err = e instanceof Error ? e.message : String(e);
      log.error({ err, verb, id }, 'audit write failed');
      const readOnly = isControlVerb(verb) && !CHANGING.has(verb);
      reply = reply.ok
        ? readOnly
          ? { ...reply, warning: `answered, but the audit write failed: ${err}` }
          : { v: 1, id, ok: false, error: { code: ControlErrorCode.UNAVAILABLE, message: `done, but the audit write failed: ${err}` } }
        : { v: 1, id, ok: false, error: { code: reply.error.code, message: `${reply.error.message} (and the audit write failed: ${err})` } };
    }
    log.info({ verb, operator, id, ok: reply.ok }, 'control request');
    return enc.encode(JSON.stringify(reply));
  };

  return deps.bus.serve(`${prefix}>`, handle);
}
