import { describe, expect, it } from 'vitest';
import { checkReadiness } from '../../../gateways/http/readiness.js';

describe('readiness: every failed probe says why', () => {
  it('names the refused addresses of an AggregateError (a connect to localhost on ::1 and 127.0.0.1) instead of an empty reason', async () => {
    const refused = (addr: string): Error => Object.assign(new Error(`connect ECONNREFUSED ${addr}`), { code: 'ECONNREFUSED' });
    const both = Object.assign(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]), { code: 'ECONNREFUSED' });
    const r = await checkReadiness(
      {
        postgres: () => Promise.reject(both),
        redis: () => Promise.reject(Object.assign(new Error(''), { code: 'ETIMEDOUT' })),
        nats: () => Promise.reject(new TypeError('')),
        consumers: async () => true,
      },
      500,
    );
    expect(r.failed).toEqual(['postgres', 'redis', 'nats']);
    expect(r.checks['postgres']?.error).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    expect(r.checks['redis']?.error).toBe('ETIMEDOUT');
    expect(r.checks['nats']?.error).toBe('TypeError');
    expect(r.checks['consumers']).toMatchObject({ ok: true });
  });
});
