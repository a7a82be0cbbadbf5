import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backtestProgress } from '../../cli/commands/backtest-progress.js';

/** A stream off a terminal (a file, a pipe, CI), or on one (`isTTY`), and what was written to it. */
function stream(tty: boolean): Readonly<{ out: PassThrough; text: () => string }> {
  const out = new PassThrough();
  if (tty) Object.assign(out, { isTTY: true, columns: 120 });
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { out, text: () => text };
}

const final = (text: string): string[] => text.split('\n').filter((l) => l.includes('| 10 events | 7 events/s'));

/**
 * Off a terminal, cli-progress's `stop()` wrote the bar's last line again when it had drawn it
 * already (a short backtest draws its final count at the start, a longer one on its 5 s tick),
 * then an empty line: `sextant backtest 2> log` showed the final count twice.
 */
describe('the backtest progress bar off a terminal', () => {
  afterEach(() => void vi.useRealTimers());

  it('prints the final line once when the bar started at it', async () => {
    const { out, text } = stream(false);
    const bar = backtestProgress(out);
    bar.draw(10, 10, 7);
    bar.draw(10, 10, 7);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(final(text())).toHaveLength(1);
    expect(text().split('\n')).toEqual([expect.stringContaining('| 10 events | 7 events/s'), '']); // one line, no empty one after it
  });

  it('prints the final line once when its 5 s tick drew it before the stop', async () => {
    vi.useFakeTimers();
    const { out, text } = stream(false);
    const bar = backtestProgress(out);
    bar.draw(3, 10, 5);
    bar.draw(10, 10, 7);
    vi.advanceTimersByTime(5000); // the tick draws the final count
    bar.stop();
    vi.useRealTimers();
    await new Promise((r) => setImmediate(r));
    const lines = text().split('\n');
    expect(lines.filter((l) => l.includes('| 3 events | 5 events/s'))).toHaveLength(1); // at the start
    expect(final(text())).toHaveLength(1);
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toContain('| 10 events | 7 events/s');
  });

  it('draws nothing when no event came in, and its stop writes nothing', async () => {
    const { out, text } = stream(false);
    const bar = backtestProgress(out);
    bar.draw(0, 1, 0);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });

  it('on a terminal leaves the final line drawn (not cleared) and moves past it', async () => {
    const { out, text } = stream(true);
    const bar = backtestProgress(out);
    bar.draw(10, 10, 7);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    const afterLast = text().slice(text().lastIndexOf('| 10 events | 7 events/s'));
    expect(afterLast).not.toContain('\x1b[2K'); // the whole line cleared: clearOnComplete
    expect(afterLast.endsWith('\n')).toBe(true);
  });
});
