import { subjectMatches } from '../streams/bus.js';
import { subjectsFor } from '../streams/subjects.js';

type StreamKind = keyof ReturnType<typeof subjectsFor>['streamSubjects'];

/**
 * Why `stream` does not store `filterSubject`, with the fix, for a consumer the server refused
 * (NATS 10093). A filter of the engine's prefix is either stored by another of its streams (labels
 * and outcomes are in OUTCOMES, not SIGNALS) or by none (features, risk state: core NATS, no
 * durable can follow them); only a filter under no prefix of the engine points at `prefix`.
 */
export function notStoredReason(stream: string, filterSubject: string, prefix: string): string {
  const design = subjectsFor(prefix).streamSubjects;
  const kinds = Object.keys(design) as StreamKind[];
  const owner = kinds.find((k) => design[k].some((p) => subjectMatches(p, filterSubject)));
  const given = kinds.find((k) => stream.endsWith(k));
  if (owner === undefined && filterSubject.startsWith(`${prefix}.`)) {
    return `no stream of the engine stores ${filterSubject}: it is core NATS (at-most-once; x-sextant-stream null in docs/asyncapi.yaml), so follow it with nc.subscribe, not a durable`;
  }
  if (owner !== undefined && owner !== given) {
    const name = given === undefined ? `streamNamePrefix + ${owner}` : `${stream.slice(0, -given.length)}${owner}`;
    return `stream ${stream} does not store ${filterSubject}: the engine's ${owner} stream does, give \`stream\` as ${name}`;
  }
  return `stream ${stream} does not store ${filterSubject}: give \`prefix\` as the engine's config prefix along with its \`stream\` (streamNamePrefix + SIGNALS)`;
}
