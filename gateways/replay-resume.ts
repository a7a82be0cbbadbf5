import type { MarketData } from '../streams/messages/market-data.js';

/** The newest message a stream holds on one subject: its event time and id. */
export type StoredMark = Readonly<{ ts: number; id: string }>;

export type ResumeOptions = Readonly<{
  /** The subject a message is published on (`subjectOf(subjects, m)`). */
  subjectOf: (m: MarketData) => string;
  /** The newest message stored on `subject`, or undefined when there is none; asked once per subject. */
  lastStored: (subject: string) => Promise<StoredMark | undefined>;
  /** Called with each message left out because the stream already holds it. */
  onSkip?: (m: MarketData) => void;
}>;

/**
 * Resumes an interrupted replay: leaves out, per subject, every message up to and including the
 * newest one the stream already holds, so the rest is published once however long ago the first
 * run stopped. JetStream's `Nats-Msg-Id` deduplication only remembers the duplicate window (two
 * minutes by default); past it, a replay started again would store everything a second time.
 *
 * Each subject's messages come in time order (the readers refuse anything else), so the stored
 * newest message marks where the previous run got to: earlier times are stored; at its time, the
 * messages up to its id were published before it (several trades or quotes share a millisecond,
 * in file order); later times are new. When no message at its time has its id (the stream holds
 * other data there), those at its time are left out and the replay goes on after it.
 *
 * @example replay({ bus, subjects, source: resumeAfterStored(mergeByTime(...sources), { subjectOf: (m) => subjectOf(subjects, m), lastStored }) })
 */
export async function* resumeAfterStored(source: AsyncIterable<MarketData> | Iterable<MarketData>, opts: ResumeOptions): AsyncGenerator<MarketData> {
  /** Per subject: the stored mark, until the source has gone past it (then undefined). */
  const marks = new Map<string, StoredMark | undefined>();
  for await (const m of source) {
    const subject = opts.subjectOf(m);
    let mark = marks.get(subject);
    if (mark === undefined && !marks.has(subject)) {
      mark = await opts.lastStored(subject);
      marks.set(subject, mark);
    }
    if (mark !== undefined) {
      if (m.ts < mark.ts || (m.ts === mark.ts && m.id !== mark.id)) {
        opts.onSkip?.(m);
        continue;
      }
      marks.set(subject, undefined);
      if (m.ts === mark.ts) {
        opts.onSkip?.(m); // the stored message itself
        continue;
      }
    }
    yield m;
  }
}
