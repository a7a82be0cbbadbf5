/** A warning that one or more of a run's backtests (walk-forward segments, suite windows, experiment arms) gave, and which. */
export type WarningGroup<W> = Readonly<{ warning: string; where: readonly W[] }>;

/**
 * The figures of a warning: a date or time (`2026-06-20`, `2026-06-20T09:00:00.000Z`, one figure),
 * else a number (`7200000`, `1,000,000,000`, `0.25`). What is left is its kind.
 */
const FIGURE = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?|\d[\d,]*(?:\.\d+)?/g;

/** A warning split at its figures: `parts` has one more entry than `figures`. */
type Split = Readonly<{ parts: readonly string[]; figures: readonly string[] }>;

function split(text: string): Split {
  const figures = text.match(FIGURE) ?? [];
  return { parts: text.split(FIGURE), figures };
}

/** One text for the same kind of warning given with other figures: a figure that differs lists each backtest's, in order (`{12, 30, 7}`). */
function merged(texts: readonly Split[]): string {
  const [first] = texts;
  if (first === undefined) return '';
  return first.parts
    .map((part, i) => {
      if (i === first.figures.length) return part;
      const values = texts.map((t) => t.figures[i] as string);
      return part + (values.every((v) => v === values[0]) ? values[0] : `{${values.join(', ')}}`);
    })
    .join('');
}

/**
 * The warnings of several backtests, each kind of warning once with every backtest that gave it,
 * in the order first given (a latency no order outlives, said by each of ten segments, is one line
 * naming the ten, not ten lines). A kind is the text without its figures (counts, amounts, dates):
 * `none of the 12 orders filled …` of one segment and `none of the 30 orders filled …` of another
 * are one line, `none of the {12, 30} orders filled …`, each differing figure listing the
 * backtests' own in the order they are named (each backtest's own text stays in its report). A
 * text a backtest gives twice counts once for it; two texts of one kind it gives are two lines.
 */
export function groupWarnings<W>(runs: readonly Readonly<{ where: W; warnings: readonly string[] }>[]): WarningGroup<W>[] {
  const groups = new Map<string, { where: W[]; texts: Split[] }>();
  for (const r of runs) {
    const kinds = new Map<string, number>();
    for (const w of new Set(r.warnings)) {
      const s = split(w);
      const kind = s.parts.join('\u0000');
      const nth = kinds.get(kind) ?? 0;
      kinds.set(kind, nth + 1);
      const key = `${nth}\u0001${kind}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { where: [r.where], texts: [s] });
      else {
        g.where.push(r.where);
        g.texts.push(s);
      }
    }
  }
  return [...groups.values()].map((g) => ({ warning: merged(g.texts), where: g.where }));
}

/**
 * The grouped warnings of numbered backtests as lines: `segment 2: …`, `segments 1, 2: …`; with
 * `name`, each number followed by its name: `windows 2 (2024-08 crash month), 4 (…): …`.
 */
export function numberedWarningLines(noun: string, runs: readonly Readonly<{ n: number; name?: string; warnings: readonly string[] }>[]): string[] {
  return groupWarnings(runs.map((r) => ({ where: r.name === undefined ? `${r.n}` : `${r.n} (${r.name})`, warnings: r.warnings }))).map(
    (g) => `${noun}${g.where.length === 1 ? '' : 's'} ${g.where.join(', ')}: ${g.warning}`,
  );
}
