import type { RetrainingActorHandle, RetrainingStatus } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { shadowResultOf } from '../../models/retraining/shadow-evaluation.js';
import type { ShadowResult } from '../../models/retraining/shadow-evaluation.js';
import type { BacklogWait, BacklogWaited } from './demo-labeling.js';
import { learningSamples } from './demo-learning-samples.js';
import type { LearningWindow } from './demo-learning-samples.js';

/** Who the demo's trigger names, as `ctl retrain trigger` names its operator. */
export const LEARN_OPERATOR = 'sextant demo --learn';

/**
 * The demo's config with `--learn`: the retraining actor on, started by one trigger of the demo's
 * own (`startLearningCycle`) and by nothing else, so the demo runs one cycle: the automatic
 * triggers (schedule, decay, drift, ADWIN) are off. Its `training.minSamples` (and `maxSamples`,
 * where lower) come from the window (`learningSamples`): the cycle fits once the window's labels
 * are in but those its shadow run and a promotion's rollback watch need, not on the first 300
 * (January's, on the default window). Everything else is the configured retraining
 * (`retraining:`): its fit, pace, shadow rule, rollback watch.
 */
export function learningConfig(cfg: Config, window: LearningWindow): Config {
  const off = Number.POSITIVE_INFINITY;
  const { minSamples, maxSamples } = learningSamples(cfg.retraining, window);
  return {
    ...cfg,
    retraining: {
      ...cfg.retraining,
      enabled: true,
      triggers: { ...cfg.retraining.triggers, everyLabels: 0, everyMs: 0, maxLogLoss: off, minHitRate: 0, psiThreshold: off, adwinDelta: 0 },
      training: { ...cfg.retraining.training, minSamples, maxSamples },
    },
  };
}

/** Starts the demo's one cycle, before the first label: the actor collects until `minSamples` are labeled, then fits. */
export function startLearningCycle(r: Pick<RetrainingActorHandle, 'trigger'>): void {
  const t = r.trigger('one cycle on the labels of the window the demo replays', LEARN_OPERATOR);
  if (!t.accepted) throw new Error(`the demo's retraining cycle was not started: ${t.reason}`);
}

type Retraining = Pick<RetrainingActorHandle, 'consumers' | 'status' | 'idle' | 'done'>;

/**
 * Waits until the retraining actor has handled every label its consumer was given (nothing
 * pending nor unacknowledged: each batch committed) and what they started is done (a fit, a
 * validation, a verdict). Called once the labeling actor caught up, so every label of the window
 * is published. Bounded: it gives up when the actor handled no label for `stallMs` while not
 * fitting or validating, when its consumer ended on an error, or at `signal`.
 */
export async function awaitRetraining(o: BacklogWait & Readonly<{ retraining: Retraining }>): Promise<BacklogWaited> {
  let ended = false;
  void o.retraining.done.then(
    () => (ended = true),
    () => (ended = true),
  );
  let handled = -1;
  let movedAt = o.now();
  let left = 0;
  for (;;) {
    let backlog: number | undefined = 0;
    for (const c of o.retraining.consumers) {
      const i = await o.bus.consumerInfo(c.stream, c.durable).catch(() => undefined);
      backlog = i === undefined || backlog === undefined ? undefined : backlog + i.pending + i.ackPending;
    }
    const s = o.retraining.status();
    const now = s.counters.labels + s.counters.skippedSeq + s.counters.refused;
    if (backlog !== undefined) left = backlog;
    o.onProgress?.(now, now + left);
    if (backlog === 0) {
      // Every batch committed; an operator step or a verdict may still be queued behind them.
      await o.retraining.idle();
      const again = await Promise.all(o.retraining.consumers.map((c) => o.bus.consumerInfo(c.stream, c.durable).catch(() => undefined)));
      if (again.every((i) => i !== undefined && i.pending + i.ackPending === 0)) return { caughtUp: true, left: 0 };
    }
    if (ended || o.signal?.aborted === true) return { caughtUp: false, left };
    const fitting = s.phase === 'training' || s.phase === 'validating';
    if (now !== handled || fitting) {
      handled = now;
      movedAt = o.now();
    } else if (o.now() - movedAt > o.stallMs) {
      return { caughtUp: false, left };
    }
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}

/** Whether the challenger started from the champion's weights (`details.retraining.warmStart` without `skipped`: models/retraining/train-challenger.ts). */
function warmStarted(details: Readonly<Record<string, unknown>>): boolean {
  const r = details['retraining'];
  const w = typeof r === 'object' && r !== null && 'warmStart' in r ? r.warmStart : undefined;
  return typeof w === 'object' && w !== null && !('skipped' in w);
}

const ref = (m: Readonly<{ name: string; version: number }>): string => `${m.name}@${m.version}`;
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The summary's `learning` (`sextant demo --learn`): the one retraining cycle the demo ran and
 * what came of it. `outcome` is null when the cycle reached no verdict by the end of the window's
 * labels (`phase` says where it stood: still collecting samples, or its shadow run short of
 * `shadow.needed` labels). `shadow` holds champion and challenger scored on the same labeled
 * predictions: the verdict's numbers, or those of the run still open at the end. `served` is the
 * model the engine served when it decided the window's last bar: the labels come behind the replay,
 * so a promotion after that served none of the window's predictions (`servedPromoted` false).
 */
export type DemoLearning = Readonly<{
  /** The retraining actor handled every label of the window (nothing pending nor unacknowledged when it stopped). */
  caughtUp: boolean;
  left: number;
  trigger: string | null;
  phase: RetrainingStatus['phase'];
  outcome: 'promoted' | 'rejected' | 'failed' | null;
  /** The verdict's (or failure's) reason, as the registry and `ctl retrain status` have it. */
  reason: string | null;
  champion: string;
  challenger: string | null;
  /** The challenger's fit: the samples it was fine-tuned or fitted on (their decision-time range) and its validation log loss. */
  fit: Readonly<{ samples: number | null; trainRange: { from: string; to: string }; valLogLoss: number | null; warmStart: boolean }> | null;
  shadow: (ShadowResult & Readonly<{ needed: number; verdict?: 'promoted' | 'rejected' }>) | null;
  /** The registry's production model at the end. */
  production: string | null;
  /** The model the engine served when it decided the window's last bar. */
  served: string | null;
  /** A promoted challenger served the window's predictions from its promotion on (it came before the last bar was decided). */
  servedPromoted: boolean;
  /** A promotion's rollback watch at the end (labels scored so far), null when none runs. */
  watch: Readonly<{ model: string; labels: number; needed: number }> | null;
  rolledBack: RetrainingStatus['lastRollback'];
  /** Labeled predictions the retraining actor scored the served model on (the whole window's). */
  labelsScored: number;
  /** `retraining.training.minSamples`: the labeled predictions the cycle collects before it fits. */
  minSamples: number;
}>;

/** The summary's learning from the retraining actor's status at the end and the registry. */
export async function learningSummary(
  s: RetrainingStatus,
  o: Readonly<{ cfg: Config; registry: Pick<ModelRegistry, 'get'>; served: Readonly<{ name: string; version: number }> | undefined; wait: Readonly<{ caughtUp: boolean; left: number }> | undefined }>,
): Promise<DemoLearning> {
  const shadowOpen = s.shadow === null ? null : shadowResultOf(s.shadow, o.cfg.retraining.shadow);
  // One cycle, and nobody else moves production or pauses it: it ended on a shadow verdict, or it failed.
  const ended = s.cycles > 0;
  const outcome = !ended ? null : (s.lastShadow?.verdict ?? 'failed');
  const shadow = ended ? s.lastShadow : shadowOpen;
  const challengerRef = s.challenger ?? shadow?.challenger ?? null;
  const challenger = challengerRef === null ? undefined : await o.registry.get(ref(challengerRef)).catch(() => undefined);
  const champion = shadow?.champion ?? s.champion;
  const production = await o.registry.get(`${s.model}@production`).catch(() => undefined);
  const served = o.served === undefined ? null : ref(o.served);
  const num = (x: number | undefined): number | null => (x === undefined ? null : x);
  return {
    caughtUp: o.wait?.caughtUp ?? false,
    left: o.wait?.left ?? 0,
    trigger: s.trigger === null ? null : `${s.trigger.kind}: ${s.trigger.detail}`,
    phase: s.phase,
    outcome,
    reason: ended ? (s.lastOutcome?.replace(/^[^:]*:\s*/, '') ?? null) : null,
    champion: champion === null ? s.model : ref(champion),
    challenger: challengerRef === null ? null : ref(challengerRef),
    fit:
      challenger === undefined
        ? null
        : {
            samples: num(challenger.metrics['samples']),
            trainRange: { from: iso(challenger.trainRange.from), to: iso(challenger.trainRange.to) },
            valLogLoss: num(challenger.metrics['val_log_loss']),
            warmStart: warmStarted(challenger.details),
          },
    shadow: shadow === null ? null : { ...shadow, needed: o.cfg.retraining.shadow.predictions },
    production: production === undefined ? null : ref(production),
    served,
    servedPromoted: outcome === 'promoted' && challengerRef !== null && served === ref(challengerRef),
    watch: s.watch === null ? null : { model: ref(s.watch), labels: s.watch.n, needed: o.cfg.retraining.rollback.watchLabels },
    rolledBack: s.lastRollback,
    labelsScored: s.counters.scored,
    minSamples: o.cfg.retraining.training.minSamples,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
/** The shadow's t as the line says it; without `tStatus` (a verdict kept before it was), ∞ of unknown sign. */
const tText = (s: ShadowResult): string => {
  if (s.t !== null) return s.t.toFixed(2);
  if (s.tStatus === 'inf') return '+∞';
  if (s.tStatus === '-inf') return '−∞';
  return s.blocks < 2 ? 'n/a' : '±∞';
};
const day = (isoTime: string): string => isoTime.slice(0, 16).replace('T', ' ');

/** The summary's learning line (after `learning        `). */
export function demoLearningLine(l: DemoLearning): string {
  const parts: string[] = [];
  if (l.challenger === null) {
    parts.push(`one cycle started (${l.trigger ?? 'no trigger'}), no challenger fitted: ${l.outcome === 'failed' ? `its fit failed (${l.reason ?? '?'})` : `still ${l.phase} when the window's labels ran out (it fits once ${l.minSamples} predictions are labeled; ${l.labelsScored} were: widen the window)`}`);
  } else {
    const how = l.fit?.warmStart === true ? `fine-tuned from champion ${l.champion}'s weights` : `fitted from scratch (champion ${l.champion})`;
    const fit = l.fit === null ? '' : ` on ${l.fit.samples ?? '?'} labeled predictions (${day(l.fit.trainRange.from)} → ${day(l.fit.trainRange.to)})`;
    parts.push(`one cycle: challenger ${l.challenger} ${how}${fit}`);
  }
  const s = l.shadow;
  if (s !== null) {
    const t = s.minT > 0 ? `, t ${tText(s)} (min ${s.minT})` : '';
    parts.push(
      `shadow on the same ${s.n}${s.n < s.needed ? ` of ${s.needed}` : ''} later labeled predictions: log loss challenger ${s.challengerLogLoss.toFixed(4)} vs champion ${s.championLogLoss.toFixed(4)} (margin ${s.margin}${t}), hit rate ${pct(s.challengerHitRate)} vs ${pct(s.championHitRate)}`,
    );
  }
  if (l.outcome === 'promoted') {
    const served = l.servedPromoted ? 'the engine served it from then on (the labels run behind the replay: it decided the window\'s last bars)' : `it came after the window's last bar was decided (the labels run behind the replay): it served none of its predictions (the engine served ${l.served ?? '?'})`;
    const watch = l.rolledBack !== null ? `; then ROLLED BACK to ${ref(l.rolledBack.to)} (${l.rolledBack.reason})` : l.watch !== null ? `; rollback watch ${l.watch.labels} of ${l.watch.needed} labels at the end` : '; its rollback watch cleared';
    parts.push(`→ PROMOTED to production by the registry; ${served}${watch}`);
  } else if (l.outcome === 'rejected') {
    parts.push(`→ REJECTED: not better by the margin${s !== null && s.minT > 0 ? ' with enough confidence' : ''}; production stays ${l.production ?? l.champion}`);
  } else if (l.outcome === 'failed') {
    if (l.challenger !== null) parts.push(`→ FAILED: ${l.reason ?? '?'}; production stays ${l.production ?? l.champion}`);
  } else if (l.challenger !== null) {
    parts.push(`→ no verdict: the window's labels ran out with the cycle ${l.phase} (${l.challenger} stays candidate); production stays ${l.production ?? l.champion}`);
  }
  if (!l.caughtUp) parts.push(`NOT caught up: stopped with ${l.left} labels unread`);
  return parts.join('; ');
}
