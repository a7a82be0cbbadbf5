import { fmt } from './number-format.js';

/**
 * The engine's catch-up state as the feed's `pnl` carries it (cli/catch-up-watch.ts `CatchUpStatus`);
 * `replay` is left out by an engine older than it.
 */
export type CatchUp = Readonly<{ catchingUp: boolean; behindMs: number | null; asOf: number | null; replay?: boolean | undefined }>;

/** A lag in whole minutes, hours from 2 h, days from 2 d. */
function ago(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`;
}

/**
 * What the header says while the engine catches up on a backlog (no DOM: unit-tested under Node):
 * after an outage it decides the redelivered bars in event time, and the orders it publishes on
 * them may be expired for a live desk (`replay` false: a warning). An engine replaying a past window
 * on its live clock (`sextant demo`) is as far behind by design, with no live desk to expire orders
 * for: a neutral `replaying <date>` (`replay` true). Null when it is not catching up (or says
 * nothing of it).
 */
export function catchUpText(c: CatchUp | null | undefined): Readonly<{ label: string; detail: string; replay: boolean }> | null {
  if (c === null || c === undefined || !c.catchingUp) return null;
  if (c.replay === true) {
    const behind = c.behindMs === null ? '' : `, ${ago(c.behindMs)} behind the clock`;
    const label = c.asOf === null ? 'replaying a past window' : `replaying ${fmt.time(c.asOf)} UTC`;
    const at = c.asOf === null ? '' : `: its newest decided bar closed at ${fmt.time(c.asOf)} UTC (event time)`;
    return { label, detail: `the engine replays a past window on its live clock${at}${behind}; its orders are the replay's, not for live desks`, replay: true };
  }
  const behind = c.behindMs === null ? 'old data' : `data from ${ago(c.behindMs)} ago`;
  const detail = c.asOf === null ? 'catching up on a backlog' : `catching up on a backlog: its newest decided bar closed at ${fmt.time(c.asOf)} UTC (event time)`;
  return { label: `engine catching up: deciding ${behind} — orders may be expired for live desks`, detail, replay: false };
}
