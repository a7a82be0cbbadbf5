import type { Supervisor } from '../actors/supervisor.js';
import type { FeedStatusWatch } from './feed-status-watch.js';
import type { BusConnection } from '../streams/bus-connection.js';
import { ControlError, ControlErrorCode } from '../gateways/control/control-messages.js';
import type { ControlArgs } from '../gateways/control/control-messages.js';
import type { ControlTarget } from '../gateways/control/control-target.js';
import { engineFitProblem, UnservableModelError } from '../models/inference/engine-fit.js';
import { ModelNotFoundError, parseModelRef, RegistryError } from '../models/registry/model-registry.js';
import type { ModelRegistry } from '../models/registry/model-registry.js';
import { AnnouncementPendingError } from '../models/registry/registry-errors.js';
import type { ModelEvent } from '../streams/messages/model-event.js';
import { RiskControlError } from '../models/risk/risk-core.js';
import { RiskLimitsError } from '../models/risk/risk-limits.js';
import type { EngineCounters } from '../state/counters.js';
import { StoreError, StoreUnconfirmedError } from '../state/errors.js';
import type { Timeframe } from '../streams/messages/bar.js';
import type { Decisions } from './decisions.js';
import type { LabelingActorHandle } from '../actors/labeling-actor.js';
import type { RetrainingActorHandle } from '../actors/retraining-actor.js';
import type { RetrainingStatus } from '../actors/retraining-status.js';
import type { RetrainingControl } from '../gateways/control/control-target.js';
import type { CatchUpWatch } from './catch-up-watch.js';

/**
 * `sextant ctl retrain …` on the retraining actor; a refused trigger (not idle) is a REFUSED reply,
 * and so is a resume of an actor that is not paused: it answered ok, changed nothing and was
 * audited as done, so an operator who resumed the wrong engine (or twice) was not told. A pause of
 * an actor already paused is refused the same way (it replaced the first operator's reason), and
 * so is one while a promotion or rejection settles (the machine dropped it, the reply said done).
 * The actor (re)loads its champion, the production model, at the next label it scores: until then
 * its status said `champion: null` on a fresh engine serving a production model (read as "no
 * model"), and the version an operator's `ctl model deploy` replaced after one. The reply names
 * the production version from the registry (`counters.scored` says whether anything was scored);
 * the actor's own when the registry has none or cannot be read.
 */
export function retrainingControl(r: Pick<RetrainingActorHandle, 'trigger' | 'pause' | 'resume' | 'status'>, registry?: Pick<ModelRegistry, 'get'>): RetrainingControl {
  const withChampion = async (s: RetrainingStatus): Promise<RetrainingStatus> => {
    if (registry === undefined) return s;
    try {
      const v = await registry.get(`${s.model}@production`);
      return s.champion?.name === v.name && s.champion.version === v.version ? s : { ...s, champion: { name: v.name, version: v.version } };
    } catch {
      return s; // no production model (ModelNotFoundError) or the registry unreachable: what the actor knows
    }
  };
  return {
    trigger: (a, operator) => {
      const out = r.trigger(a.reason, operator);
      if (!out.accepted) throw new ControlError(ControlErrorCode.REFUSED, out.reason);
      return withChampion(out.status);
    },
    pause: (a, operator) => {
      const s = r.status();
      if (s.phase === 'paused') throw new ControlError(ControlErrorCode.REFUSED, `retraining is already paused${s.pausedBy !== null ? ` by ${s.pausedBy}` : ''} (${JSON.stringify(s.pauseReason ?? '')}): nothing changed; resume it first to pause for another reason`);
      // Promoted or rejected: the registry call that settles the cycle is in flight, and a pause
      // there is lost (the machine takes none until it is idle again).
      if (s.phase === 'promoted' || s.phase === 'rejected') throw new ControlError(ControlErrorCode.REFUSED, `retraining is settling a ${s.phase} challenger: nothing paused; try again in a moment`);
      return withChampion(r.pause(a.reason, operator));
    },
    resume: (a, operator) => {
      const phase = r.status().phase;
      if (phase !== 'paused') throw new ControlError(ControlErrorCode.REFUSED, `retraining is ${phase}, not paused: nothing resumed`);
      return withChampion(r.resume(a.reason, operator));
    },
    status: () => withChampion(r.status()),
  };
}

/**
 * Known failures become coded control errors; anything else stays INTERNAL. A risk-store write
 * that failed (PostgreSQL down, or a lock held past `control.riskWriteTimeoutMs`) is UNAVAILABLE,
 * in the verb's words (`unstored`) what holds in the engine and the store: it answered INTERNAL, and a
 * resume behind a held lock did not answer before `sextant ctl` gave up ("engine not reached").
 * `unconfirmed`: the write was under way when it was given up (`StoreUnconfirmedError`), and the
 * store may still take it: the reply must not say it was not done.
 */
async function coded<T>(fn: () => Promise<T> | T, unstored?: (err: string, unconfirmed: boolean) => string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StoreError && unstored !== undefined) throw new ControlError(ControlErrorCode.UNAVAILABLE, unstored(e.message, e instanceof StoreUnconfirmedError));
    if (e instanceof ModelNotFoundError) throw new ControlError(ControlErrorCode.NOT_FOUND, e.message);
    if (e instanceof RiskLimitsError || e instanceof RiskControlError || e instanceof RegistryError) throw new ControlError(ControlErrorCode.REFUSED, e.message);
    throw e;
  }
}

/** Why an engine serving no model (features only, cli/decisions.ts `noModelMessage`) has no risk actor to act on. */
const NO_DECISIONS = 'the decision path is not running (no model served)';

/**
 * The risk actor of an engine that serves a model; UNAVAILABLE otherwise, in the verb's words
 * (`nothing`): reduce and limits get answered "nothing to halt or limit", a halt's words.
 */
const needDecisions = (d: Decisions | undefined, nothing: string): Decisions => {
  if (d === undefined) throw new ControlError(ControlErrorCode.UNAVAILABLE, `${NO_DECISIONS}: ${nothing}`);
  return d;
};

/**
 * A resume in an engine serving no model (features only) has no halt to lift: it answered ok with
 * `status: null` and no change while halt, reduce and limits answered UNAVAILABLE, so an operator
 * read it as done. It is UNAVAILABLE too now, unless it started given-up asset actors again (which
 * need no model): that is ok, and the reply says so (`note`) in place of `status: null`.
 */
const resumedWithoutDecisions = (restarted: readonly string[]): Readonly<{ changes: []; restarted: readonly string[]; note: string }> => {
  if (restarted.length === 0) throw new ControlError(ControlErrorCode.UNAVAILABLE, `${NO_DECISIONS}: nothing halted to resume, and no given-up asset actor to start again`);
  return { changes: [], restarted, note: `${NO_DECISIONS}: nothing halted to resume; the given-up asset actors named in restarted were started again` };
};

/** The symbols and strategies this engine trades: a scoped halt must name one of them. */
export type KnownScopes = Readonly<{ symbols: readonly string[]; strategies: readonly string[] }>;

/**
 * A halt of a symbol or strategy the engine does not trade (`BTC-USDT` for `BTC/USDT`, a typo)
 * would be stored, answered ok and hold back nothing: refused instead, naming what it trades.
 */
const knownScope = (known: KnownScopes, t: ControlArgs<'halt'>['target']): void => {
  if (t.scope === 'all') return;
  const names = t.scope === 'symbol' ? known.symbols : known.strategies;
  if (!names.includes(t.value)) throw new ControlError(ControlErrorCode.REFUSED, `${JSON.stringify(t.value)} is not a ${t.scope} this engine trades (${names.join(', ')}): nothing halted`);
};

/**
 * A resume of a symbol or strategy the engine neither trades nor holds halted (`btc/usdt`,
 * `BTC-USDT`, a typo) answered ok with no change, so an operator who mistyped the symbol of a
 * halt believed it lifted while it still held: refused instead, naming what is halted. One that
 * is halted is always resumable, even when the engine no longer trades it (a halt stored before
 * the assets changed).
 */
const resumableScope = (known: KnownScopes, halted: readonly Readonly<{ scope: string; value: string }>[], t: ControlArgs<'resume'>['target']): void => {
  if (t.scope === 'all') return;
  const names = t.scope === 'symbol' ? known.symbols : known.strategies;
  if (names.includes(t.value) || halted.some((h) => h.scope === t.scope && h.value === t.value)) return;
  const held = halted.filter((h) => h.scope === t.scope).map((h) => h.value);
  throw new ControlError(
    ControlErrorCode.REFUSED,
    `${JSON.stringify(t.value)} is not a ${t.scope} this engine trades (${names.join(', ')}) and is not halted (halted ${t.scope}s: ${held.length > 0 ? held.join(', ') : 'none'}): nothing resumed`,
  );
};

/**
 * A resume of a strategy or symbol the engine trades but holds no halt of answered ok with no
 * change (and the account's state, not the scope's), read as "lifted" by an operator who halted a
 * symbol and resumed the strategy, or resumed on the wrong engine. Refused instead, naming the
 * scope's state and what is halted, as `ctl retrain resume` is when not paused. The account-wide
 * resume answers ok when ACTIVE: its `status` is the state of what it resumes, and it starts the
 * given-up asset actors again; so does a symbol resume that started some (`restarted`).
 */
const notHalted = (halted: readonly Readonly<{ scope: string; value: string }>[], t: ControlArgs<'resume'>['target'], restarted: number, account: string): void => {
  if (t.scope === 'all' || restarted > 0 || halted.some((h) => h.scope === t.scope && h.value === t.value)) return;
  const held = halted.map((h) => `${h.scope} ${h.value}`);
  throw new ControlError(
    ControlErrorCode.REFUSED,
    `${t.scope} ${t.value} is not halted (account ${account}; halted: ${held.length > 0 ? held.join(', ') : 'none'}): nothing resumed`,
  );
};

/** The model ref an engine serves (`direction-mlp@production`) and the bars it decides on. */
export type ServedModelRef = Readonly<{ ref: string; timeframe: Timeframe }>;

/**
 * A deploy that moves the alias this engine serves to a version it cannot serve (features it
 * does not compute, trained on other bars) was committed and answered ok; the engine then swapped
 * to a model that skips every bar or reads its inputs in the wrong bars. Refused before the alias
 * moves, naming why. Other models and aliases are the registry's business, not this engine's.
 */
async function requireServable(registry: ModelRegistry, served: ServedModelRef | undefined, a: ControlArgs<'model.deploy'>): Promise<void> {
  if (!servesAlias(served, a)) return;
  const problem = engineFitProblem(await registry.get(`${a.name}@${a.version}`), { timeframe: served.timeframe });
  if (problem !== undefined) throw new ControlError(ControlErrorCode.REFUSED, `${a.name}@${a.version} cannot be served by this engine: ${problem}; ${a.name}@${a.alias} left as it was`);
}

/** The alias this engine serves (`direction-mlp@production`, not a pinned version) is `name@alias`. */
function servesAlias(served: ServedModelRef | undefined, a: Readonly<{ name: string; alias: string }>): served is ServedModelRef {
  if (served === undefined) return false;
  const ref = parseModelRef(served.ref);
  return !('version' in ref) && ref.name === a.name && ref.alias === a.alias;
}

/**
 * A deploy or rollback of the alias this engine serves answers once the engine serves the version
 * the alias moved to: it answered ok as soon as the alias moved, and when the engine then could
 * not serve the version (a damaged artifact, a graph its runtime refuses; for a rollback, an old
 * version trained on other bars) the error was only logged, so the registry said production was a
 * model the engine was not serving. Checked (a rollback's target only now: the registry picks it)
 * and awaited; when either fails the alias goes back (one promotion, announced) to the version it
 * held, and the reply is the error. `verb` names the command in the reply and the audit.
 */
async function servedOrRestored(registry: ModelRegistry, decisions: Decisions, served: ServedModelRef, event: ModelEvent, verb: 'deploy' | 'rollback', operator: string, reason: string | undefined): Promise<void> {
  const alias = event.alias ?? 'production';
  const moved = `${event.name}@${event.version}`;
  let why: string | undefined;
  try {
    why = verb === 'rollback' ? engineFitProblem(await registry.get(moved), { timeframe: served.timeframe }) : undefined;
    if (why === undefined) await decisions.swapTo(served.ref);
  } catch (e) {
    why = e instanceof UnservableModelError ? e.reason : `could not load it: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (why === undefined) return;
  const before = event.previousVersion;
  if (before === null || before === event.version) throw new ControlError(ControlErrorCode.REFUSED, `${moved} is ${event.name}@${alias} now, but this engine cannot serve it: ${why}`);
  const putBack = await committed(() => registry.promote(event.name, before, { alias, actor: operator, reason: putBackReason(verb, reason, moved) }));
  const unannounced = putBack.pending !== undefined ? ` (not announced yet: ${putBack.pending.message})` : '';
  throw new ControlError(ControlErrorCode.REFUSED, `this engine cannot serve ${moved}: ${why}; ${event.name}@${alias} put back to version ${before}, which it serves${unannounced}`);
}

/**
 * The alias history's reason of an operator's deploy or rollback: the command, and the operator's
 * `--reason` after it when given (before, every row said only "sextant ctl model rollback").
 */
function ctlReason(verb: 'deploy' | 'rollback' | 'remove-alias', reason: string | undefined): string {
  return reason === undefined ? `sextant ctl model ${verb}` : `sextant ctl model ${verb}: ${reason}`;
}

/**
 * The alias history's reason of the put-back of a deploy or rollback the engine cannot serve: the
 * operator's `--reason` too (before, only "sextant ctl model rollback: this engine cannot serve …",
 * so the row that undid an operator's move did not say why they made it).
 */
function putBackReason(verb: 'deploy' | 'rollback', reason: string | undefined, moved: string): string {
  return reason === undefined ? `sextant ctl model ${verb}: this engine cannot serve ${moved}` : `${ctlReason(verb, reason)} (put back: this engine cannot serve ${moved})`;
}

/** A registry change and, when it was committed but its event could not be published, why. */
type Committed = Readonly<{ event: ModelEvent; pending?: AnnouncementPendingError }>;

/** Runs a registry change; one committed but not announced (`AnnouncementPendingError`) is a change made. */
async function committed(change: () => Promise<ModelEvent>): Promise<Committed> {
  try {
    return { event: await change() };
  } catch (e) {
    if (e instanceof AnnouncementPendingError) return { event: e.event, pending: e };
    throw e;
  }
}

/**
 * What `ctl model deploy` and `rollback` answer: the registry's event, `announced`, and when that
 * is false a `warning`. A move the registry committed but could not announce (the bus down) was
 * answered REFUSED, though the alias had moved: the operator was told the deploy failed when it
 * had taken effect (and a retry was refused as "already points at"). It is ok now, saying that
 * engines following the registry's events (other engines serving the alias, this one's retraining
 * actor) learn of it only when the event is published, with the registry's next change or at its
 * next start, and not to repeat it. `servedHere`: this engine serves the alias and swapped already.
 */
function aliasMoved(c: Committed, verb: 'deploy' | 'rollback', servedHere: boolean): ModelEvent & Readonly<{ announced: boolean; warning?: string }> {
  if (c.pending === undefined) return { ...c.event, announced: true };
  const e = c.event;
  const ref = `${e.name}@${e.alias ?? 'production'}`;
  return {
    ...e,
    announced: false,
    warning:
      `${ref} points at version ${e.version} (committed), but the ${e.event} event is not announced yet: ${c.pending.cause instanceof Error ? c.pending.cause.message : String(c.pending.cause)}. ` +
      `${servedHere ? 'This engine serves it; other engines' : 'Engines'} following ${ref} keep what they serve until the event is published, with the registry's next change or at its next start. Do not repeat the ${verb}.`,
  };
}

/**
 * What `ctl model remove-alias` answers: the registry's `alias_removed` event (its `version` is
 * the version the alias pointed at), `announced`, and when that is false a `warning` (as
 * {@link aliasMoved}: the removal is committed, so it is ok, and must not be repeated).
 */
function aliasRemoved(c: Committed): ModelEvent & Readonly<{ announced: boolean; warning?: string }> {
  if (c.pending === undefined) return { ...c.event, announced: true };
  const e = c.event;
  const ref = `${e.name}@${e.alias ?? '?'}`;
  return {
    ...e,
    announced: false,
    warning:
      `${ref} is removed (committed; it pointed at version ${e.version}), but the alias_removed event is not announced yet: ${c.pending.cause instanceof Error ? c.pending.cause.message : String(c.pending.cause)}. ` +
      `Dashboards and clients following ${ref} still show it until the event is published, with the registry's next change or at its next start. Do not repeat the removal.`,
  };
}

/**
 * `production` is never removed by hand: every engine serves it, and an alias that points at
 * nothing gives an engine that starts (or restarts) nothing to load, while those running keep a
 * model the registry no longer names. What replaces a production model is another one: a deploy
 * or a rollback. The alias this engine serves (`models.ref`, when not production) likewise.
 */
function requireUnserved(served: ServedModelRef | undefined, a: ControlArgs<'model.remove-alias'>): void {
  const why = 'an engine serving it would have no model to load at its next start, and those running would keep one the registry no longer names';
  if (a.alias === 'production') throw new ControlError(ControlErrorCode.REFUSED, `${a.name}@production cannot be removed: ${why}; deploy another version or roll back instead. Nothing changed`);
  if (servesAlias(served, a)) throw new ControlError(ControlErrorCode.REFUSED, `${a.name}@${a.alias} is the alias this engine serves and cannot be removed: ${why}; deploy another version to it instead. Nothing changed`);
}

/** How many of the registry's models an unknown model's NOT_FOUND names (a short list; `ctl model list` has them all). */
const NAMED_MODELS = 10;
/**
 * `ctl model list direction-mpl` (a typo, or a model of another registry) answered ok with an empty
 * list, read as "no versions yet": it is NOT_FOUND, naming the models the registry holds.
 */
const noSuchModel = (name: string, all: readonly string[]): string => {
  const names = [...new Set(all)].sort();
  const shown = names.slice(0, NAMED_MODELS);
  const more = names.length > shown.length ? `, and ${names.length - shown.length} more: sextant ctl model list` : '';
  return `no model ${name} in the registry (models: ${names.length > 0 ? shown.join(', ') : 'none'}${more})`;
};

/**
 * Runs a deploy or rollback of `name`. One the registry does not hold at all (a typo) answered
 * NOT_FOUND "model direction-mpl not found" without saying which models it holds: it names them
 * now, as `ctl model list` of it does. An unknown version or alias of a known model is left as is.
 */
async function ofKnownModel<T>(registry: ModelRegistry, name: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (e) {
    if (!(e instanceof ModelNotFoundError) || (await registry.list(name)).length > 0) throw e;
    throw new ModelNotFoundError(noSuchModel(name, (await registry.list()).map((v) => v.name)));
  }
}

/** The account's trading state in this engine, for a reply saying what a failed write left. */
const riskState = (d: Decisions | undefined): string => d?.risk.status().state ?? 'as it was';
/** The scoped halts still held, each with its reason, for a resume that was not stored. */
const heldHalts = (d: Decisions | undefined): string => {
  const halts = d?.risk.status().scopedHalts ?? [];
  return halts.length > 0 ? ` (halted: ${halts.map((h) => `${h.scope} ${h.value}${h.reason === '' ? '' : ` — ${h.reason}`}`).join(', ')})` : '';
};

/**
 * An account-wide resume lifts the account's halt only: a halt of a strategy or symbol is its own
 * decision (a bad model, a broken feed) and stands until resumed by name. The reply said only
 * `status: ACTIVE`, and an operator who meant "trade again" was not told that some of it still
 * does not: the halts left are named (`scopedHalts`), with a `warning` (ctl prints it on stderr)
 * saying how to lift each. Nothing when none stands.
 */
const scopedHaltsLeft = (d: Decisions): Readonly<{ scopedHalts: readonly Readonly<{ scope: string; value: string; reason: string }>[]; warning: string }> | undefined => {
  const halts = d.risk.status().scopedHalts;
  if (halts.length === 0) return undefined;
  const each = halts.map((h) => `${h.scope} ${h.value}${h.reason === '' ? '' : ` (${h.reason})`}`).join(', ');
  const how = halts.map((h) => `sextant ctl resume --${h.scope} ${h.value}`).join('; ');
  return { scopedHalts: halts, warning: `the account-wide resume leaves ${halts.length === 1 ? 'a halt' : 'halts'} of ${each} standing: ${halts.length === 1 ? 'it is' : 'they are'} lifted by name (${how})` };
};

/** What `sextant ctl` acts on in a running engine: the risk actor, the supervisor, the registry. */
export function engineControlTarget(
  deps: Readonly<{
    supervisor: Supervisor;
    counters: EngineCounters;
    decisions: Decisions | undefined;
    registry: ModelRegistry | undefined;
    known: KnownScopes;
    retraining?: RetrainingActorHandle | undefined;
    /** The labeling actor: its counts are in `status` (`labeling`, null without one). */
    labeling?: Pick<LabelingActorHandle, 'stats'> | undefined;
    /** What the engine serves: a deploy of that alias is checked against it. */
    served?: ServedModelRef;
    /** Whether the engine is deciding a backlog far behind its clock: `status.catchUp` (null without one). */
    catchUp?: Pick<CatchUpWatch, 'status'> | undefined;
    /** The engine's NATS link: `status.nats` (null on the in-process bus). */
    nats?: Pick<BusConnection, 'state'> | undefined;
    /** `sextant gateway`'s feed statuses: `status.feeds` (null when the engine does not watch them). */
    feeds?: Pick<FeedStatusWatch, 'feeds'> | undefined;
  }>,
): ControlTarget {
  const registry = (): ModelRegistry => {
    if (deps.registry === undefined) throw new ControlError(ControlErrorCode.UNAVAILABLE, 'this engine runs without a model registry');
    return deps.registry;
  };
  return {
    status: () => ({
      actors: deps.supervisor.status().map((s) => ({ key: s.key, state: s.state })),
      counters: deps.counters,
      model: deps.decisions?.model() ?? null,
      // A promotion of the served alias this engine would not serve: the registry names it, the engine serves `model`.
      modelRefused: deps.decisions?.refused() ?? null,
      decisions: deps.decisions?.path.stats() ?? null,
      // Why the decision path stopped deciding (a risk write or a release failed): nothing more is
      // decided or acknowledged in this engine, whatever `risk.state` says; restart it. Null while it decides.
      decisionFailure: deps.decisions?.sequencer.failure()?.message ?? null,
      risk: deps.decisions?.risk.status() ?? null,
      // Whether labeling keeps up: what it received, labeled and still has pending.
      labeling: deps.labeling?.stats() ?? null,
      // Deciding data far behind the clock (a backlog after an outage): orders may be expired on arrival.
      // `replay` says it is a replay of a past window (`sextant demo`), whose orders are for no live consumer.
      catchUp: deps.catchUp?.status() ?? null,
      // The engine's NATS link: ctl cannot ask while it is down, but after it says when the last
      // outage began (`lastOutage.at`), ended and how long it lasted, and why it dropped.
      nats: deps.nats?.state() ?? null,
      // Each market-data feed as `sextant gateway` last said it (sx.mdstatus.…), with its age;
      // `unknown` once older than 3× marketData.statusEveryMs (the gateway silent).
      feeds: deps.feeds?.feeds() ?? null,
    }),
    halt: (a) =>
      coded(
        async () => {
          knownScope(deps.known, a.target);
          const d = needDecisions(deps.decisions, 'no order is decided, so nothing to halt');
          const states = await d.risk.halt(a.target.scope === 'all' ? { scope: 'all', reason: a.reason } : { scope: a.target.scope, value: a.target.value, reason: a.reason });
          return { changes: states, status: d.risk.status().state };
        },
        // The kill switch holds in memory whatever the store says.
        (err) => `halted in this engine (in force now), but storing the halt failed: ${err}; a restart before it is stored would not find it: halt again to store it`,
      ),
    resume: (a, operator) => {
      let restartedCount = 0;
      // A resume may leave its reason out (`ctl resume` with no --reason): the account's state then
      // said and stored "" (`risk.state` reason, `ctl status`, the stored row), naming neither who
      // lifted the halt nor that no reason was given. It says both now, as a halt's says why.
      const reason = a.reason.trim() === '' ? `resumed by ${operator} (no reason given)` : a.reason;
      return coded(
        async () => {
          // Asset actors the supervisor gave up on (of every asset, or of the symbol) start again:
          // without this only a restart of the engine brought them back.
          const t = a.target;
          const halted = deps.decisions?.risk.status().scopedHalts ?? [];
          resumableScope(deps.known, halted, t);
          const restarted = t.scope === 'strategy' ? [] : deps.supervisor.restartGivenUp(t.scope === 'all' ? undefined : (asset) => asset.symbol === t.value);
          restartedCount = restarted.length;
          const d = deps.decisions;
          if (d === undefined) return resumedWithoutDecisions(restarted);
          notHalted(halted, t, restarted.length, d.risk.status().state);
          const states = await d.risk.resume(t.scope === 'all' ? { scope: 'all', reason } : { scope: t.scope, value: t.value, reason });
          const stillHalted = t.scope === 'all' ? scopedHaltsLeft(d) : undefined;
          return { changes: states, status: d.risk.status().state, restarted, ...stillHalted };
        },
        // A resume takes effect only once stored (actors/risk-actor.ts): the engine and the store both hold the halt still,
        // unless its write was under way at the deadline: then the store may still take it, and the engine resumes.
        (err, unconfirmed) =>
          (unconfirmed
            ? `resume not confirmed: ${err}; the account is ${riskState(deps.decisions)}${heldHalts(deps.decisions)} in this engine now: check \`sextant ctl status\` in a few seconds, and resume again if it is still halted`
            : `not resumed: storing it failed: ${err}; the account stays ${riskState(deps.decisions)}${heldHalts(deps.decisions)}`) +
          (restartedCount > 0 ? ` (${restartedCount} given-up asset actor${restartedCount === 1 ? ' was' : 's were'} started again)` : ''),
      );
    },
    reduce: (a) =>
      coded(
        async () => {
          const d = needDecisions(deps.decisions, a.flatten === true ? 'no order is decided, so no position to flatten' : 'no order is decided, so no account to make reduce-only');
          const states = await d.risk.reduce({ scope: 'all', reason: a.reason, ...(a.flatten === true ? { flatten: true } : {}) });
          return { changes: states, status: d.risk.status().state };
        },
        (err, unconfirmed) =>
          unconfirmed
            ? `reduce-only not confirmed: ${err}; the account is ${riskState(deps.decisions)} in this engine now: check \`sextant ctl status\` in a few seconds, and reduce again if it is still ${riskState(deps.decisions)}`
            : `not reduced: storing it failed: ${err}; the account stays ${riskState(deps.decisions)}`,
      ),
    getLimits: () => coded(() => needDecisions(deps.decisions, 'no risk limits are in force to show').risk.getLimits()),
    setLimits: (patch) => {
      const before = JSON.stringify(deps.decisions?.risk.getLimits());
      return coded(
        () => needDecisions(deps.decisions, 'no risk limits are in force to change').risk.setLimits(patch),
        // The new limits are in force only once stored; a halt they cause is in force at once (as a halt).
        (err, unconfirmed) =>
          JSON.stringify(deps.decisions?.risk.getLimits()) === before
            ? unconfirmed
              ? `limits change not confirmed: ${err}; the limits in force in this engine now are those before: check \`sextant ctl limits get\` in a few seconds, and set them again if they still are`
              : `limits not changed: storing them failed: ${err}; the limits in force are those before`
            : `limits changed (stored, in force), but storing the halt they caused failed: ${err}; the halt is in force in this engine, a restart before it is stored would not find it`,
      );
    },
    listModels: (name) =>
      coded(async () => {
        const versions = await registry().list(name);
        if (name !== undefined && versions.length === 0) throw new ModelNotFoundError(noSuchModel(name, (await registry().list()).map((v) => v.name)));
        // `rejected`, `parentVersion` and `configHash` were missing: an operator picked a rejected
        // challenger from the list (the deploy was refused only then) and could not see lineage.
        return versions.map((v) => ({
          name: v.name,
          version: v.version,
          aliases: v.aliases,
          rejected: v.rejected,
          parentVersion: v.parentVersion,
          configHash: v.configHash,
          metrics: v.metrics,
          trainRange: v.trainRange,
          createdAt: v.createdAt,
        }));
      }),
    deployModel: (a, operator) =>
      coded(async () => {
        const moved = await ofKnownModel(registry(), a.name, async () => {
          await requireServable(registry(), deps.served, a);
          return committed(() => registry().promote(a.name, a.version, { alias: a.alias, actor: operator, reason: ctlReason('deploy', a.reason) }));
        });
        const here = deps.decisions !== undefined && servesAlias(deps.served, a);
        if (here) await servedOrRestored(registry(), deps.decisions, deps.served, moved.event, 'deploy', operator, a.reason);
        return aliasMoved(moved, 'deploy', here);
      }),
    rollbackModel: (a, operator) =>
      coded(async () => {
        const moved = await ofKnownModel(registry(), a.name, () => committed(() => registry().rollback(a.name, { alias: a.alias, actor: operator, reason: ctlReason('rollback', a.reason), ...(a.to !== undefined ? { to: a.to } : {}) })));
        const here = deps.decisions !== undefined && servesAlias(deps.served, a);
        if (here) await servedOrRestored(registry(), deps.decisions, deps.served, moved.event, 'rollback', operator, a.reason);
        return aliasMoved(moved, 'rollback', here);
      }),
    removeModelAlias: (a, operator) =>
      coded(async () => {
        requireUnserved(deps.served, a);
        const removed = await ofKnownModel(registry(), a.name, () => committed(() => registry().removeAlias(a.name, a.alias, { actor: operator, reason: ctlReason('remove-alias', a.reason) })));
        return aliasRemoved(removed);
      }),
    ...(deps.retraining !== undefined ? { retraining: retrainingControl(deps.retraining, deps.registry) } : {}),
  };
}
