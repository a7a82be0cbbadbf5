/** A warning that one or more of a run's backtests (walk-forward segments, suite windows, experiment arms) gave, and which. */
export type WarningGroup<W> = Readonly<{ warning: string; where: readonly W[] }>;

/**
 * The warnings of several backtests, each distinct text once with every backtest that gave it, in
 * the order first given (a latency no order outlives, said by each of ten segments, is one line
 * naming the ten, not ten lines). A text a backtest gives twice counts once for it.
 */
export function groupWarnings<W>(runs: readonly Readonly<{ where: W; warnings: readonly string[] }>[]): WarningGroup<W>[] {
  const groups = new Map<string, W[]>();
  for (const r of runs) {
    for (const w of new Set(r.warnings)) {
      const where = groups.get(w);
      if (where === undefined) groups.set(w, [r.where]);
      else where.push(r.where);
    }
  }
  return [...groups].map(([warning, where]) => ({ warning, where }));
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
