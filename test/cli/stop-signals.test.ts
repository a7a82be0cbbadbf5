import { describe, expect, it } from 'vitest';
import { onStopSignals, signalExitCode } from '../../cli/stop-signals.js';
import { fakeProcess } from '../support/fake-signals.js';

describe('SIGINT and SIGTERM of a command that stops cleanly (sextant run, sextant replay)', () => {
  it('asks it to stop at the first signal, and ends the process with a line at a second one while it stops', async () => {
    const proc = fakeProcess();
    const forced: [string, number][] = [];
    const stop = onStopSignals('the last writes may not be stored', proc, (m, c) => forced.push([m, c]));
    expect(stop.signal.aborted).toBe(false);
    proc.send('SIGINT');
    expect(await stop.stopped).toBe('SIGINT');
    expect(stop.signal.reason).toBe('SIGINT');
    expect(forced).toEqual([]);
    proc.send('SIGINT');
    expect(forced).toEqual([['sextant: SIGINT while stopping: exiting now; the last writes may not be stored', 130]]);
  });

  it('does not swallow a SIGTERM after a SIGINT (it listened once to each)', () => {
    const proc = fakeProcess();
    const forced: [string, number][] = [];
    onStopSignals('x', proc, (m, c) => forced.push([m, c]));
    proc.send('SIGINT');
    proc.send('SIGTERM');
    expect(forced).toEqual([['sextant: SIGTERM while stopping: exiting now; x', 143]]);
  });

  it('stops listening once disposed', () => {
    const proc = fakeProcess();
    const stop = onStopSignals('x', proc, () => undefined);
    expect(proc.listeners()).toBe(2);
    stop.dispose();
    expect(proc.listeners()).toBe(0);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
