import type { LabelingActorHandle } from '../../actors/labeling-actor.js';
import { subjectMatches } from '../../streams/bus.js';
import type { StreamAdmin } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { Subjects } from '../../streams/subjects.js';

/** The summary's labeling: what the learning loop's labeling actor did with the window. */
export type DemoLabeling = Readonly<{
  /** Its consumers had nothing left (nor unacknowledged) when it stopped: it labeled what the window allows. */
  caughtUp: boolean;
  /** Messages its consumers still held when it stopped (0 when caught up). */
  left: number;
  /** Predictions and orders labeled (each a training sample). */
  labeled: number;
  samples: number;
  /** Refused to the dead-letter subject (`<prefix>.dlq.labeling`), by reason: `unlabeled` and `refusedInputs` together. */
  refused: Readonly<Record<string, number>>;
  /**
   * Of `refused`, the predictions and orders (entries on their subjects), by reason: each got no
   * label and no training sample. An entry that cannot be read counts here (it may have been one).
   */
  unlabeled: Readonly<Record<string, number>>;
  /**
   * Of `refused`, the other input messages (market data read by its bar consumers, such as the
   * demo's injected bad bars; fills, expiries …), by reason: no prediction or order lost a label.
   */
  refusedInputs: Readonly<Record<string, number>>;
  /** Predictions and orders not labeled at the end: their horizon is past the window's last bar (or, not caught up, not reached yet). */
  pending: number;
  /** Of `pending`, those past their horizon still waiting for their feature vector or a bar of their path. */
  waiting: number;
}>;

type Labeling = Pick<LabelingActorHandle, 'consumers' | 'stats' | 'done'>;

/** What the labeling actor's consumers have not handed over or acknowledged yet; undefined when one could not be read. */
async function backlogOf(bus: Pick<StreamAdmin, 'consumerInfo'>, labeling: Labeling): Promise<number | undefined> {
  const infos = await Promise.all(labeling.consumers.map((c) => bus.consumerInfo(c.stream, c.durable).catch(() => undefined)));
  let n = 0;
  for (const i of infos) {
    if (i === undefined) return undefined;
    n += i.pending + i.ackPending;
  }
  return n;
}

/** How the demo waits for an actor reading behind the replay (`awaitLabeling`, `awaitRetraining`). */
export type BacklogWait = Readonly<{
  bus: Pick<StreamAdmin, 'consumerInfo'>;
  stallMs: number;
  pollMs: number;
  /** The caller's monotonic clock (ms). */
  now: () => number;
  onProgress?: (handled: number, total: number) => void;
  signal?: AbortSignal;
}>;
/** Whether the actor caught up, and how many messages it left unread when it did not. */
export type BacklogWaited = Readonly<{ caughtUp: boolean; left: number }>;

/**
 * Waits until the labeling actor has handled every message its consumers were given (nothing
 * pending nor unacknowledged: each batch committed), so it labeled every prediction and order whose
 * horizon the window's bars reach. The replay runs at full speed and the actor reads behind it (a
 * January–July window had labeled only to early March when the asset actors were done). Bounded:
 * it gives up when the actor handled nothing for `stallMs`, when a consumer ended on an error, or
 * at `signal`. `onProgress(handled, total)` after each read.
 */
export async function awaitLabeling(o: BacklogWait & Readonly<{ labeling: Labeling }>): Promise<BacklogWaited> {
  let ended = false;
  void o.labeling.done.then(() => (ended = true));
  let handled = -1;
  let movedAt = o.now();
  let left = 0;
  for (;;) {
    const backlog = await backlogOf(o.bus, o.labeling);
    const s = o.labeling.stats();
    const now = s.received + s.skippedSeq;
    if (backlog !== undefined) left = backlog;
    o.onProgress?.(now, now + left);
    if (backlog === 0) return { caughtUp: true, left: 0 };
    if (ended || o.signal?.aborted === true) return { caughtUp: false, left };
    if (now !== handled) {
      handled = now;
      movedAt = o.now();
    } else if (o.now() - movedAt > o.stallMs) {
      return { caughtUp: false, left };
    }
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}

/** The labeling actor's refusals, by reason. */
export type LabelingRefusals = Pick<DemoLabeling, 'refused' | 'unlabeled' | 'refusedInputs'>;

/**
 * The labeling actor's refusals on the DLQ stream (`subjects.dlq('labeling')`), by reason: all of
 * them, and apart those of predictions and orders (unlabeled) and of other input messages. The
 * bad bars the demo injects reach the labeling actor's bar consumers as they reach the asset
 * actors, and counted with the rest they read as if labeling had lost predictions.
 */
export async function labelingRefusals(
  bus: Pick<StreamAdmin, 'readFrom'>,
  stream: string,
  subjects: Pick<Subjects, 'dlq' | 'allPredictions' | 'allOrders'>,
): Promise<LabelingRefusals> {
  const refused: Record<string, number> = {};
  const unlabeled: Record<string, number> = {};
  const refusedInputs: Record<string, number> = {};
  const isItem = (subject: string): boolean => subjectMatches(subjects.allPredictions(), subject) || subjectMatches(subjects.allOrders(), subject);
  let fromSeq = 1;
  for (;;) {
    const page = await bus.readFrom(stream, subjects.dlq('labeling'), { fromSeq });
    for (const m of page.messages) {
      let raw: unknown;
      try {
        raw = JSON.parse(decodeText(m.data));
      } catch {
        raw = undefined;
      }
      const e = DlqEntrySchema.safeParse(raw);
      const reason = e.success ? e.data.reason : 'UNREADABLE';
      refused[reason] = (refused[reason] ?? 0) + 1;
      const into = !e.success || isItem(e.data.subject) ? unlabeled : refusedInputs;
      into[reason] = (into[reason] ?? 0) + 1;
    }
    const lastSeq = page.messages.at(-1)?.streamSeq;
    if (page.remaining === 0 || lastSeq === undefined) return { refused, unlabeled, refusedInputs };
    fromSeq = lastSeq + 1;
  }
}

/** The summary's labeling line (after `labeling       `). */
export function demoLabelingLine(l: DemoLabeling): string {
  const total = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);
  const byReason = (r: Readonly<Record<string, number>>): string => Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ');
  const [items, inputs] = [total(l.unlabeled), total(l.refusedInputs)];
  const refused =
    items + inputs === 0
      ? 'refused none'
      : `${items > 0 ? `${items} predictions and orders refused unlabeled (${byReason(l.unlabeled)})` : 'no prediction or order refused'}` +
        `${inputs > 0 ? `, ${inputs} bad input messages refused (${byReason(l.refusedInputs)}: no prediction or order among them)` : ''}`;
  const tail = l.caughtUp
    ? `${l.pending} pending at the end (${l.waiting > 0 ? `${l.waiting} waiting for their data, the rest with` : 'with'} a horizon past the window's last bar)`
    : `NOT caught up: stopped with ${l.left} messages unread and ${l.pending} pending`;
  return `${l.labeled} labeled, ${l.samples} training samples stored, ${refused}; ${tail}`;
}
