/**
 * The benches' view of the kernel's scheduler (Linux): per thread, the CPU time it ran and the
 * time it spent runnable but waiting for a CPU (`/proc/<pid>/task/<tid>/schedstat`), summed
 * over labelled spans. A thread's wait is latency its work could not avoid by being faster:
 * the CPU was taken. Elsewhere (no `/proc`) the readings are empty and nothing is printed.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Run and wait time in nanoseconds, and the number of times it was put on a CPU. */
export type SchedTotals = { runNs: number; waitNs: number; slices: number };

/** One process to watch: its pid, and how its threads are grouped in the output. */
export type SchedTarget = Readonly<{ pid: number; label: string; byThread: boolean }>;

type Reading = Map<string, SchedTotals>;

/**
 * The threads of `targets` now, keyed by group: with `byThread`, the main thread as
 * `<label>:main` and the others by their name (`<label>:<comm>`, summed over threads of the same
 * name); otherwise the whole process as `<label>`.
 */
export function readSched(targets: readonly SchedTarget[]): Reading {
  const out: Reading = new Map();
  for (const t of targets) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${t.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let stat: string;
      let key: string;
      try {
        stat = readFileSync(`/proc/${t.pid}/task/${tid}/schedstat`, 'utf8');
        key = !t.byThread ? t.label : tid === String(t.pid) ? `${t.label}:main` : `${t.label}:${readFileSync(`/proc/${t.pid}/task/${tid}/comm`, 'utf8').trim()}`;
      } catch {
        continue; // the thread ended between the listing and the read
      }
      const [run, wait, slices] = stat.trim().split(' ').map(Number);
      if (run === undefined || wait === undefined || slices === undefined) continue;
      const o = out.get(key) ?? { runNs: 0, waitNs: 0, slices: 0 };
      out.set(key, { runNs: o.runNs + run, waitNs: o.waitNs + wait, slices: o.slices + slices });
    }
  }
  return out;
}

/**
 * Sums scheduler time per label (a bench's conditions) over spans: `mark(label)` closes the span
 * in progress into its label and opens one for `label` (`undefined`: count nothing until the
 * next mark). Threads that ended within a span lose that span's share.
 */
export type SchedAccount<L extends string> = Readonly<{
  mark(label: L | undefined): void;
  totals(label: L): ReadonlyMap<string, SchedTotals>;
}>;

export function schedAccount<L extends string>(targets: readonly SchedTarget[]): SchedAccount<L> {
  const sums = new Map<L, Map<string, SchedTotals>>();
  let at = readSched(targets);
  let open: L | undefined;
  return {
    mark(label) {
      const now = readSched(targets);
      if (open !== undefined) {
        let acc = sums.get(open);
        if (acc === undefined) sums.set(open, (acc = new Map()));
        for (const [k, v] of now) {
          const b = at.get(k);
          if (b === undefined) continue; // started within the span: no reading at its start
          const o = acc.get(k) ?? { runNs: 0, waitNs: 0, slices: 0 };
          acc.set(k, { runNs: o.runNs + v.runNs - b.runNs, waitNs: o.waitNs + v.waitNs - b.waitNs, slices: o.slices + v.slices - b.slices });
        }
      }
      at = now;
      open = label;
    },
    totals: (label) => sums.get(label) ?? new Map(),
  };
}

/** Lines `group  run … ms  wait … ms (… µs per slice)` per group, busiest first, for each label. */
export function formatSched<L extends string>(account: SchedAccount<L>, labels: readonly { label: L; title: string }[], top = 6): string[] {
  const lines: string[] = [];
  for (const { label, title } of labels) {
    const t = [...account.totals(label)].sort((a, b) => b[1].runNs - a[1].runNs).slice(0, top);
    for (const [k, v] of t) {
      const perSlice = v.slices > 0 ? (v.waitNs / v.slices / 1e3).toFixed(0) : '–';
      lines.push(`  ${title} ${k.padEnd(24)} ran ${(v.runNs / 1e6).toFixed(0).padStart(6)} ms, waited for a CPU ${(v.waitNs / 1e6).toFixed(0).padStart(6)} ms (${perSlice} µs per wake-up or preemption, ${v.slices} of them)`);
    }
  }
  return lines;
}
