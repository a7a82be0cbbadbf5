import { subjectsFor } from '../streams/subjects.js';

/** Narrows a subscription to one strategy, venue and/or symbol; what is left out matches all. */
export type SignalFilter = Readonly<{ strategy?: string; venue?: string; symbol?: string }>;

/**
 * A filter subject built by the engine's subject builder, with `*` for each token left out.
 * The builder validates tokens (it refuses `*`), so the subject is built with a placeholder and
 * its trailing strategy/venue/symbol tokens are replaced afterwards: the layout stays in one module.
 */
function wildcardTail(subject: string, given: readonly (string | undefined)[]): string {
  const tokens = subject.split('.');
  const start = tokens.length - given.length;
  given.forEach((g, i) => {
    if (g === undefined) tokens[start + i] = '*';
  });
  return tokens.join('.');
}

const PLACEHOLDER = 'x';

/** `sx.exec.order.<strategy|*>.<venue|*>.<sym|*>` */
export function orderFilter(prefix: string, f: SignalFilter): string {
  const s = subjectsFor(prefix).order(f.strategy ?? PLACEHOLDER, f.venue ?? PLACEHOLDER, f.symbol ?? PLACEHOLDER);
  return wildcardTail(s, [f.strategy, f.venue, f.symbol]);
}

/** `sx.pred.<strategy|*>.<venue|*>.<sym|*>` */
export function predictionFilter(prefix: string, f: SignalFilter): string {
  const s = subjectsFor(prefix).prediction(f.strategy ?? PLACEHOLDER, f.venue ?? PLACEHOLDER, f.symbol ?? PLACEHOLDER);
  return wildcardTail(s, [f.strategy, f.venue, f.symbol]);
}
