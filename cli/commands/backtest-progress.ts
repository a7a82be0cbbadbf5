import { Writable } from 'node:stream';
import { Presets, SingleBar } from 'cli-progress';

/** The backtest's progress bar: events decided of those read so far, and events/s. */
export type BacktestProgress = Readonly<{
  /** Draws `n` events of `total` at `rate` events/s; nothing until the first event is in. */
  draw(n: number, total: number, rate: number): void;
  /** Ends the bar (its last line stays); a no-op when nothing was drawn. */
  stop(): void;
}>;

/**
 * A progress bar on `out`: redrawn in place on a terminal; off one (a file, a pipe, CI) a line
 * every 5 s. Off a terminal cli-progress's `stop()` wrote the line it last drew a second time (a
 * short backtest drew its final count at the start, a longer one on its 5 s tick), then an empty
 * line: the line that repeats the one before it is dropped while the bar stops, and no empty line
 * is written (`clearOnComplete` off a terminal only clears nothing and writes no newline).
 *
 * Drawn from the first event in: started at 0 it printed a `0 events | 0 events/s` bar (a line of
 * its own off a terminal) before the real one.
 */
export function backtestProgress(out: NodeJS.WritableStream): BacktestProgress {
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  const lines = tty ? undefined : lineSink(out);
  const bar = new SingleBar(
    { format: ' backtest |{bar}| {value} events | {rate} events/s', hideCursor: true, stream: lines?.stream ?? out, noTTYOutput: true, notTTYSchedule: 5000, clearOnComplete: !tty },
    Presets.shades_classic,
  );
  let shown = false;
  return {
    draw: (n, total, rate) => {
      if (n === 0) return;
      if (!shown) bar.start(total, n, { rate });
      else {
        bar.setTotal(total);
        bar.update(n, { rate });
      }
      shown = true;
    },
    stop: () => {
      if (!shown) return;
      lines?.stopping();
      bar.stop();
    },
  };
}

/**
 * Off a terminal, what the bar writes passed on to `out` a whole line at a time (synchronously, so
 * in order with the notes written to `out` directly), but once `stopping()` a line the same as the
 * one before it is not.
 */
function lineSink(out: NodeJS.WritableStream): Readonly<{ stream: Writable; stopping(): void }> {
  let pending = '';
  let last: string | undefined;
  let stopping = false;
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      pending += chunk.toString();
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        if (!(stopping && line === last)) out.write(`${line}\n`);
        last = line;
      }
      done();
    },
  });
  return { stream, stopping: () => void (stopping = true) };
}
