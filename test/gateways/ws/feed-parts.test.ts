import { describe, expect, it } from 'vitest';
import { createTokenAuth } from '../../../gateways/ws/auth.js';
import { createConflatingBuffer } from '../../../gateways/ws/conflating-buffer.js';
import { createOriginCheck } from '../../../gateways/ws/origin-check.js';
import { createRateLimiter } from '../../../gateways/ws/rate-limiter.js';
import { clientSymbolToken, routeSubject } from '../../../gateways/ws/topics.js';
import { subjectsFor } from '../../../streams/subjects.js';

describe('feed parts', () => {
  it('rate limiter: a burst of N passes, the next is refused, and tokens come back at N per second', () => {
    let t = 1000;
    const rl = createRateLimiter(3, () => t);
    expect([rl.hit(), rl.hit(), rl.hit(), rl.hit()]).toEqual([true, true, true, false]);
    t += 333; // 0.999 of a token
    expect(rl.hit()).toBe(false);
    t += 1;
    expect([rl.hit(), rl.hit()]).toEqual([true, false]);
    // Idle for long: the bucket holds N, never more.
    t += 60_000;
    expect([rl.hit(), rl.hit(), rl.hit(), rl.hit()]).toEqual([true, true, true, false]);
  });

  it('rate limiter: a client sending exactly N per second is never refused', () => {
    let t = 0;
    const rl = createRateLimiter(20, () => t);
    const refused: number[] = [];
    for (let i = 0; i < 2000; i++) {
      if (!rl.hit()) refused.push(i);
      t += 50;
    }
    expect(refused).toEqual([]);
  });

  it('rate limiter: a burst across a one-second boundary gets N through, not 2N', () => {
    let t = 1000;
    const rl = createRateLimiter(20, () => t);
    expect(rl.hit()).toBe(true); // a fixed window would start here, ending at t = 2000
    let passed = 0;
    t = 1990;
    for (let i = 0; i < 20; i++) if (rl.hit()) passed++;
    t = 2000;
    for (let i = 0; i < 20; i++) if (rl.hit()) passed++;
    // 40 messages within 10 ms: a fixed window let 39 through (19 + 20).
    expect(passed).toBe(20);
  });

  it('rate limiter: a clock that steps back refills nothing', () => {
    let t = 5000;
    const rl = createRateLimiter(2, () => t);
    expect([rl.hit(), rl.hit(), rl.hit()]).toEqual([true, true, false]);
    t = 1000;
    expect(rl.hit()).toBe(false);
    t = 5499; // measured from the newest time seen (5000), not from the step back
    expect(rl.hit()).toBe(false);
    t = 5500;
    expect(rl.hit()).toBe(true);
  });

  it('conflating buffer keeps the newest item per slot, in the order of the newest updates', () => {
    const b = createConflatingBuffer<number>();
    b.put('a', 1);
    b.put('b', 2);
    b.put('a', 3);
    b.put('c', 4);
    expect([b.size, b.dropped]).toEqual([3, 1]);
    expect([b.shift(), b.shift(), b.shift(), b.shift()]).toEqual([
      { item: 2, conflated: false },
      { item: 3, conflated: true },
      { item: 4, conflated: false },
      undefined,
    ]);
  });

  it('conflating buffer counts only the items `counts` names, through replace, shift, removeWhere and clear', () => {
    const b = createConflatingBuffer<{ n: number; snap?: true }>((x) => x.snap !== true);
    b.put('s1', { n: 1, snap: true });
    b.put('e1', { n: 2 });
    b.put('s2', { n: 3, snap: true });
    expect([b.size, b.counted]).toEqual([3, 1]);
    b.put('s1', { n: 4 }); // a snapshot item replaced by a counted one
    expect([b.size, b.counted]).toEqual([3, 2]);
    b.shift(); // e1
    expect([b.size, b.counted]).toEqual([2, 1]);
    expect(b.removeWhere((x) => x.n === 3)).toBe(1);
    expect([b.size, b.counted]).toEqual([1, 1]);
    b.put('s3', { n: 5, snap: true });
    b.clear();
    expect([b.size, b.counted]).toEqual([0, 0]);
  });

  it('origin check: exact origins (case and trailing slash aside), * for any, missing per policy', () => {
    const strict = createOriginCheck({ allowedOrigins: ['https://Desk.example'], allowMissingOrigin: false });
    expect([strict('https://desk.example/'), strict('https://desk.example.evil'), strict('http://desk.example'), strict(undefined)]).toEqual([true, false, false, false]);
    const open = createOriginCheck({ allowedOrigins: ['*'], allowMissingOrigin: true });
    expect([open('http://anything'), open(undefined)]).toEqual([true, true]);
  });

  it('token auth knows each token and its role, and nothing else', () => {
    const auth = createTokenAuth([
      { name: 'v', token: 'tok-v', role: 'viewer' },
      { name: 'o', token: 'tok-o', role: 'operator' },
    ]);
    expect([auth.authenticate('tok-v'), auth.authenticate('tok-o'), auth.authenticate('tok-'), auth.authenticate(''), auth.authenticate(undefined)]).toEqual([
      { name: 'v', role: 'viewer' },
      { name: 'o', role: 'operator' },
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('routes subjects to topic, key and slot', () => {
    const s = subjectsFor('sx');
    expect(routeSubject(s, 'sx.md.binance.BTC-USDT_USDT.bar.1h')).toEqual({ topic: 'md', key: 'BTC/USDT:USDT', slot: 'bar.1h|binance|BTC/USDT:USDT', venue: 'binance', symbolToken: 'BTC-USDT_USDT' });
    expect(routeSubject(s, 'sx.pred.dirmlp.binance.ETH-USDT')).toEqual({ topic: 'predictions', key: 'ETH/USDT', slot: 'dirmlp|binance|ETH/USDT', venue: 'binance', symbolToken: 'ETH-USDT', idKind: 'prediction' });
    expect(routeSubject(s, 'sx.exec.fill.binance.ETH-USDT')?.slot).toBe('fill|binance|ETH/USDT');
    // One symbol on two venues is two assets: their slots (snapshot, conflation) never merge.
    for (const [a, b] of [
      ['sx.md.binance.BTC-USDT.trade', 'sx.md.kraken.BTC-USDT.trade'],
      ['sx.feat.binance.BTC-USDT', 'sx.feat.kraken.BTC-USDT'],
      ['sx.pred.dirmlp.binance.BTC-USDT', 'sx.pred.dirmlp.kraken.BTC-USDT'],
      ['sx.exec.order.dirmlp.binance.BTC-USDT', 'sx.exec.order.dirmlp.kraken.BTC-USDT'],
      ['sx.exec.fill.binance.BTC-USDT', 'sx.exec.fill.kraken.BTC-USDT'],
    ] as const) {
      const [ra, rb] = [routeSubject(s, a), routeSubject(s, b)];
      expect(ra?.key).toBe('BTC/USDT');
      expect(rb?.key).toBe('BTC/USDT');
      expect(ra?.slot).not.toBe(rb?.slot);
    }
    expect(routeSubject(s, 'sx.risk.state')).toEqual({ topic: 'risk', key: 'account', slot: 'account' });
    expect(routeSubject(s, 'sx.model.direction-mlp.rolled_back')?.key).toBe('direction-mlp');
    for (const no of ['sx.exec.suggest.dirmlp.binance.BTC-USDT', 'sx.dlq.asset', 'sx.ctl.halt', 'other.md.binance.BTC-USDT.trade', 'sx.md.binance']) expect(routeSubject(s, no)).toBeUndefined();
    expect([clientSymbolToken('BTC/USDT'), clientSymbolToken('BTC-USDT'), clientSymbolToken('BTC USDT')]).toEqual(['BTC-USDT', 'BTC-USDT', undefined]);
  });
});
