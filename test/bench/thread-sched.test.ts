import { describe, expect, it } from 'vitest';
import { formatSched, readSched, schedAccount } from '../../bench/thread-sched.js';

/** Keeps this thread busy until the process has used `ms` more of CPU time (however loaded the machine is). */
const spin = (ms: number): void => {
  const start = process.cpuUsage();
  for (;;) {
    const d = process.cpuUsage(start);
    if (d.user + d.system >= ms * 1000) return;
  }
};

describe('thread-sched (Linux schedstat)', () => {
  it('reads this process by thread, the main thread under <label>:main', () => {
    const r = readSched([{ pid: process.pid, label: 'me', byThread: true }]);
    const main = r.get('me:main');
    expect(main).toBeDefined();
    expect(main?.runNs).toBeGreaterThan(0);
    expect(main?.slices).toBeGreaterThan(0);
    const whole = readSched([{ pid: process.pid, label: 'me', byThread: false }]);
    expect([...whole.keys()]).toEqual(['me']);
    expect(whole.get('me')?.runNs).toBeGreaterThanOrEqual(main?.runNs ?? Infinity);
  });

  it('sums run time into the label of the span it fell in, and nothing between spans', () => {
    const acc = schedAccount<'busy' | 'quiet'>([{ pid: process.pid, label: 'me', byThread: true }]);
    acc.mark('busy');
    spin(120);
    acc.mark(undefined);
    spin(120); // between spans: counted nowhere
    acc.mark('quiet');
    acc.mark(undefined);
    const busy = acc.totals('busy').get('me:main');
    const quiet = acc.totals('quiet').get('me:main');
    expect(busy?.runNs ?? 0).toBeGreaterThan(60e6); // the spin, less what other threads of the process used meanwhile
    expect(busy?.runNs ?? 0).toBeLessThan(200e6); // not the second spin too
    expect(quiet?.runNs ?? 0).toBeLessThan(20e6);
    const lines = formatSched(acc, [{ label: 'busy', title: 'busy:' }]);
    expect(lines[0]).toMatch(/^ {2}busy: me:main +ran +\d+ ms, waited for a CPU +\d+ ms \((\d+|–) µs per wake-up or preemption, \d+ of them\)$/);
  });

  it('reads a whole process as one group, and nothing of a process that is gone', () => {
    const mine = readSched([{ pid: process.pid, label: 'x', byThread: false }]);
    expect(mine.size).toBe(1);
    expect(readSched([{ pid: 2 ** 30, label: 'gone', byThread: true }]).size).toBe(0);
  });
});
