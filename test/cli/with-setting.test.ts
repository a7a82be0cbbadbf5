import { describe, expect, it } from 'vitest';
import { withSetting } from '../../cli/wiring.js';

const hint = (setting: string): string => (withSetting(new Error('connection refused'), setting) as Error).message;

/**
 * A live start-up that cannot reach a service names the setting to change: it named the config key
 * and `SEXTANT__…`, not the shorthand README's table lists (NATS_URL, REDIS_URL, DATABASE_URL), so
 * an operator who had set NATS_URL was sent elsewhere (and the environment wins over the config).
 */
describe('withSetting', () => {
  it.each([
    ['nats.url', 'NATS_URL or SEXTANT__nats__url'],
    ['redis.url', 'REDIS_URL or SEXTANT__redis__url'],
    ['postgres.url', 'DATABASE_URL or SEXTANT__postgres__url'],
  ])('names the shorthand of %s too', (setting, env) => {
    expect(hint(setting)).toBe(`connection refused (set ${setting} in the config, or ${env})`);
  });

  it('names only SEXTANT__… for a setting without a shorthand', () => {
    expect(hint('postgres.migrationTimeoutMs')).toBe('connection refused (set postgres.migrationTimeoutMs in the config, or SEXTANT__postgres__migrationTimeoutMs)');
  });

  it('keeps the error, its class and cause', () => {
    const e = new TypeError('x', { cause: 'y' });
    expect(withSetting(e, 'nats.url')).toBe(e);
    expect(withSetting('not an error', 'nats.url')).toBe('not an error');
  });
});
