import { z } from 'zod';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
/** `09:30-16:00` → minutes of the day [open, close); undefined when malformed or empty. */
const parseHours = (s: string): readonly [number, number] | undefined => {
  const m = HOURS.exec(s);
  if (m === null) return undefined;
  const open = Number(m[1]) * 60 + Number(m[2]);
  const close = m[3] === '24:00' ? 1440 : Number(m[4]) * 60 + Number(m[5]);
  return open < close ? [open, close] : undefined;
};
const validZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const dayHours = z.string().refine((s) => parseHours(s) !== undefined, { message: 'HH:MM-HH:MM, open before close (close up to 24:00)' }).optional();

/**
 * When a market that closes trades, in its own time zone: `week` gives each trading day's hours
 * (`HH:MM-HH:MM`, close up to `24:00`; a day not named is closed), `holidays` the dates
 * (`YYYY-MM-DD`, local) it stays closed. A NYSE stock: `{ timezone: America/New_York, week: { mon:
 * 09:30-16:00, …, fri: 09:30-16:00 } }`; forex: `sun: 17:00-24:00`, `mon`…`thu: 00:00-24:00`,
 * `fri: 00:00-17:00`.
 */
export const TradingHoursSchema = z
  .object({
    timezone: z.string().refine(validZone, { message: 'an IANA time zone (America/New_York)' }),
    week: z.object({ sun: dayHours, mon: dayHours, tue: dayHours, wed: dayHours, thu: dayHours, fri: dayHours, sat: dayHours }).strict(),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')).default([]),
  })
  .strict();
export type TradingHours = z.input<typeof TradingHoursSchema>;

const DAY_MS = 86_400_000;

/**
 * Whether any part of [start, end) falls in `h`'s trading hours. An interval of a closed market
 * (a night, a weekend, a holiday) is one the vendor has no bar for by design, not a hole.
 */
export function tradingHoursOverlap(h: TradingHours): (start: number, end: number) => boolean {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: h.timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  /** The wall clock of `ms` in the zone, read as if it were UTC. */
  const wall = (ms: number): number => {
    const p = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p['year']), Number(p['month']) - 1, Number(p['day']), Number(p['hour']), Number(p['minute']), Number(p['second']));
  };
  /** The instant the zone's wall clock reads `w` (read as UTC); a time skipped by a DST change maps past it. */
  const instant = (w: number): number => {
    const guess = w - (wall(w) - w);
    return w - (wall(guess) - guess);
  };
  const holidays = new Set(h.holidays ?? []);
  const hours = new Map<number, readonly [number, number]>();
  DAYS.forEach((d, i) => {
    const s = h.week[d];
    const r = s === undefined ? undefined : parseHours(s);
    if (r !== undefined) hours.set(i, r);
  });
  return (start, end) => {
    // Every local day that may hold a part of the interval (a day either side for the zone's offset).
    for (let day = Math.floor(wall(start) / DAY_MS) * DAY_MS - DAY_MS; day <= wall(end) + DAY_MS; day += DAY_MS) {
      const r = hours.get(new Date(day).getUTCDay());
      if (r === undefined || holidays.has(new Date(day).toISOString().slice(0, 10))) continue;
      if (instant(day + r[0] * 60_000) < end && instant(day + r[1] * 60_000) > start) return true;
    }
    return false;
  };
}
