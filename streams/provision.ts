import type { Config } from '../config/schema.js';
import type { StreamSpec } from './bus.js';
import { BusError } from './errors.js';
import { subjectsFor } from './subjects.js';

export const STREAM_NAMES = ['MD', 'SIGNALS', 'OUTCOMES', 'DLQ'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

export type StreamSpecOverrides = Readonly<{
  /** Replaces `cfg.streamNamePrefix`: `T123_` gives `T123_MD`, `T123_SIGNALS`, … */
  namePrefix?: string;
  /** Replaces `cfg.prefix`, the first subject token: `t123` gives `t123.md.>`, … */
  subjectPrefix?: string;
  /** Replaces the storage of every stream (tests and demos: `memory`). */
  storage?: StreamSpec['storage'];
}>;

const NAME_PREFIX_RE = /^[A-Za-z0-9_-]*$/;
const SUBJECT_TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/**
 * The JetStream streams of the design (MD, SIGNALS, OUTCOMES, DLQ), from config: names
 * `<streamNamePrefix><NAME>`, subjects under the configured subject prefix, retention, dedup
 * window, storage, size and replicas per stream. Overrides isolate a test or demo on a shared
 * server without building a whole config.
 *
 * @example
 * const specs = streamSpecs(cfg, { namePrefix: `T${id}_`, subjectPrefix: `t${id}`, storage: 'memory' });
 * await bus.ensureStreams(specs);
 * // … afterwards: await bus.deleteStreams(specs.map((s) => s.name));
 */
export function streamSpecs(cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>, overrides: StreamSpecOverrides = {}): StreamSpec[] {
  const namePrefix = overrides.namePrefix ?? cfg.streamNamePrefix;
  const subjectPrefix = overrides.subjectPrefix ?? cfg.prefix;
  if (!NAME_PREFIX_RE.test(namePrefix)) throw new BusError(`stream name prefix ${JSON.stringify(namePrefix)} may hold letters, digits, _ and - only`, false);
  if (!SUBJECT_TOKEN_RE.test(subjectPrefix)) throw new BusError(`subject prefix ${JSON.stringify(subjectPrefix)} must be one subject token`, false);
  const subjects = subjectsFor(subjectPrefix).streamSubjects;
  return STREAM_NAMES.map((name) => {
    const s = cfg.streams[name];
    return {
      name: `${namePrefix}${name}`,
      subjects: subjects[name],
      maxAgeMs: s.maxAgeMs,
      duplicateWindowMs: s.duplicateWindowMs,
      storage: overrides.storage ?? s.storage,
      ...(s.maxBytes !== undefined ? { maxBytes: s.maxBytes } : {}),
      ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
    };
  });
}

/** The stream name of one of the design's streams under a name prefix (`streamName(cfg, 'MD')` → `MD`). */
export function streamName(cfg: Pick<Config, 'streamNamePrefix'>, name: StreamName, overrides: Pick<StreamSpecOverrides, 'namePrefix'> = {}): string {
  return `${overrides.namePrefix ?? cfg.streamNamePrefix}${name}`;
}
