import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PROJECT_ROOT } from '../../config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('loads the defaults', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.prefix).toBe('sx');
    expect(cfg.nats.url).toBe('nats://127.0.0.1:4222');
    expect(cfg.assets.length).toBeGreaterThan(0);
    expect(cfg.data.dir.endsWith('shared/data')).toBe(true);
  });

  it('applies environment overrides and shorthands', () => {
    const cfg = loadConfig({ env: { SEXTANT__consumer__batchSize: '1024', NATS_URL: 'nats://10.0.0.1:4333', SEXTANT__assets: '[{venue: kraken, symbol: "ETH/EUR"}]' } });
    expect(cfg.consumer.batchSize).toBe(1024);
    expect(cfg.nats.url).toBe('nats://10.0.0.1:4333');
    expect(cfg.assets).toEqual([{ venue: 'kraken', symbol: 'ETH/EUR' }]);
  });

  it('merges a YAML file over the defaults', () => {
    const file = join(dir, 'my.yaml');
    writeFileSync(file, 'redis:\n  historyCap: 50\nlog:\n  level: debug\n');
    const cfg = loadConfig({ file, env: {} });
    expect(cfg.redis).toMatchObject({ historyCap: 50, url: 'redis://127.0.0.1:6379' });
    expect(cfg.log.level).toBe('debug');
  });

  it('fails at start naming the key and what was expected', () => {
    expect(() => loadConfig({ env: { SEXTANT__consumer__batchSize: '0' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { SEXTANT__consumer__batchSize: '0' } })).toThrow(/consumer\.batchSize: .*>=1/);
    expect(() => loadConfig({ env: { REDIS_URL: 'http://x' } })).toThrow(/redis\.url: a URL with protocol redis: or rediss:/);
    expect(() => loadConfig({ env: { SEXTANT__assets: '[{venue: binance, symbol: btcusdt}]' } })).toThrow(/assets\.0\.symbol: a ccxt unified symbol/);
    expect(() => loadConfig({ env: { SEXTANT__natz__url: 'x' } })).toThrow(/natz/);
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/cannot read config file/);
  });
});

describe('configuration, details', () => {
  const errorOf = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw new Error(`expected a ConfigError, got ${String(e)}`);
    }
    throw new Error('expected a ConfigError, nothing was thrown');
  };

  it('reads SEXTANT__consumer__batchSize=1024 as the number 1024 and leaves the sibling keys alone', () => {
    const defaults = loadConfig({ env: {} });
    const cfg = loadConfig({ env: { SEXTANT__consumer__batchSize: '1024' } });
    expect(cfg.consumer).toEqual({ ...defaults.consumer, batchSize: 1024 });
    expect({ ...cfg, consumer: defaults.consumer }).toEqual(defaults);
  });

  it('applies every shorthand, and resolves a relative data dir against the project root', () => {
    const cfg = loadConfig({
      env: { NATS_URL: 'tls://n:4222', REDIS_URL: 'rediss://r:6380', DATABASE_URL: 'postgresql://u@p/db', SEXTANT_DATA_DIR: 'some/data', SEXTANT_LOG_LEVEL: 'warn' },
    });
    expect(cfg.nats.url).toBe('tls://n:4222');
    expect(cfg.redis.url).toBe('rediss://r:6380');
    expect(cfg.postgres.url).toBe('postgresql://u@p/db');
    expect(cfg.data.dir).toBe(join(PROJECT_ROOT, 'some/data'));
    expect(cfg.log.level).toBe('warn');
  });

  it('ignores an empty shorthand and lets the SEXTANT__ path win over its shorthand', () => {
    expect(loadConfig({ env: { NATS_URL: '' } }).nats.url).toBe('nats://127.0.0.1:4222');
    expect(loadConfig({ env: { NATS_URL: 'nats://a:1', SEXTANT__nats__url: 'nats://b:2' } }).nats.url).toBe('nats://b:2');
  });

  it('layers defaults, then the file, then the environment, then programmatic overrides', () => {
    const file = join(dir, 'layers.yaml');
    writeFileSync(file, 'consumer:\n  batchSize: 10\n  ackWaitMs: 1111\nvalidation:\n  dedupWindow: 7\n');
    const cfg = loadConfig({ file, env: { SEXTANT__consumer__batchSize: '20', SEXTANT__validation__dedupWindow: '8' }, overrides: { consumer: { batchSize: 30 } } });
    expect(cfg.consumer).toEqual({ batchSize: 30, ackWaitMs: 1111 });
    expect(cfg.validation.dedupWindow).toBe(8);
  });

  it('treats an empty YAML file as no overrides', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    expect(loadConfig({ file, env: {} })).toEqual(loadConfig({ env: {} }));
  });

  it('names the key and the expected type when a value has the wrong type', () => {
    const e = errorOf(() => loadConfig({ env: { SEXTANT__consumer__batchSize: 'lots' } }));
    expect(e.name).toBe('ConfigError');
    expect(e.message).toMatch(/consumer\.batchSize: .*expected number/i);
  });

  it('names the key and the bound when a number is out of range', () => {
    expect(errorOf(() => loadConfig({ env: { SEXTANT__consumer__batchSize: '20000' } })).message).toMatch(/consumer\.batchSize: .*10000/);
    expect(errorOf(() => loadConfig({ env: { SEXTANT__validation__dedupWindow: '1.5' } })).message).toMatch(/validation\.dedupWindow: .*int/i);
  });

  it("bounds validation.marketFillBandBps (a market order's fill band around its refPrice): above 0, at most 10000, 1000 by default", () => {
    expect(loadConfig({ env: {} }).validation.marketFillBandBps).toBe(1000);
    expect(loadConfig({ env: { SEXTANT__validation__marketFillBandBps: '250' } }).validation.marketFillBandBps).toBe(250);
    expect(errorOf(() => loadConfig({ env: { SEXTANT__validation__marketFillBandBps: '0' } })).message).toMatch(/validation\.marketFillBandBps: /);
    expect(errorOf(() => loadConfig({ env: { SEXTANT__validation__marketFillBandBps: '10001' } })).message).toMatch(/validation\.marketFillBandBps: .*10000/);
  });

  it('lists every bad key, not only the first', () => {
    const e = errorOf(() => loadConfig({ env: { SEXTANT__consumer__batchSize: '0', SEXTANT__log__level: 'loud' } }));
    expect(e.message).toMatch(/consumer\.batchSize/);
    expect(e.message).toMatch(/log\.level: .*(fatal|info)/);
  });

  it('refuses unknown keys at the top level and nested, from the environment and from a file', () => {
    expect(errorOf(() => loadConfig({ env: { SEXTANT__consumer__batchsize: '5' } })).message).toMatch(/consumer.*batchsize/);
    const file = join(dir, 'unknown.yaml');
    writeFileSync(file, 'redis:\n  histroyCap: 5\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).message).toMatch(/redis.*histroyCap/);
    expect(errorOf(() => loadConfig({ env: {}, overrides: { extra: 1 } })).message).toMatch(/extra/);
  });

  it('refuses a file that is not a YAML mapping, and one that is not valid YAML, with a ConfigError naming the file', () => {
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(errorOf(() => loadConfig({ file: list, env: {} })).message).toContain(list);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'consumer:\n  batchSize: [1,\n');
    expect(errorOf(() => loadConfig({ file: broken, env: {} })).message).toContain(broken);
  });
});
