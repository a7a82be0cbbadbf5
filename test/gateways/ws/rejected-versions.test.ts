import { describe, expect, it } from 'vitest';
import { createRejectedVersions, REJECTED_MODELS, REJECTED_PER_MODEL } from '../../../gateways/ws/rejected-versions.js';

describe('rejected model versions the hub remembers for its start-up seed', () => {
  it('keeps the newest versions per model, and at most so many models, the one rejected least lately going first', () => {
    const r = createRejectedVersions(3, 2);
    for (const v of [1, 2, 3, 4]) r.add('a', v);
    expect([1, 2, 3, 4].map((v) => r.has('a', v))).toEqual([false, true, true, true]);
    r.add('a', 4); // again: no second place
    expect(r.size()).toBe(3);
    r.add('b', 1);
    r.add('a', 5); // a rejected more lately than b
    r.add('c', 1);
    expect([r.has('a', 5), r.has('b', 1), r.has('c', 1)]).toEqual([true, false, true]);
    expect(r.size()).toBe(4);
  });

  it('stays bounded however many rejections come before the seed, and forgets all once it ran', () => {
    const r = createRejectedVersions();
    for (let m = 0; m < REJECTED_MODELS * 2; m++) for (let v = 1; v <= REJECTED_PER_MODEL * 2; v++) r.add(`m${m}`, v);
    expect(r.size()).toBe(REJECTED_MODELS * REJECTED_PER_MODEL);
    r.close();
    r.add('late', 1);
    expect(r.size()).toBe(0);
    expect(r.has('late', 1)).toBe(false);
  });
});
