import { afterAll, describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { EngineRun } from './engine-run.js';
import { isolatedConfig, runEngineOnBars, signalsOf, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const WINDOW = { from: FROM, to: Date.UTC(2024, 2, 1) };

describe('decision path determinism (real NATS JetStream)', () => {
  const runs: EngineRun[] = [];
  afterAll(async () => {
    for (const r of runs) await r.close();
  });

  it('publishes identical prediction, suggestion, order, reject and fill streams (ids and payloads) on two runs over the same input', async () => {
    const registry: ModelRegistry = await trainedRegistry(SYMBOLS, FROM);
    for (let i = 0; i < 2; i++) runs.push(await runEngineOnBars(isolatedConfig(SYMBOLS), registry, WINDOW));
    const [a, b] = await Promise.all(runs.map((r) => signalsOf(r)));
    if (a === undefined || b === undefined) throw new Error('no runs');
    const kinds = (msgs: readonly string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const m of msgs) {
        const kind = m.split(' ')[0]?.split('.').slice(0, m.startsWith('exec') ? 2 : 1).join('.') ?? '?';
        out[kind] = (out[kind] ?? 0) + 1;
      }
      return out;
    };
    const k = kinds(a);
    // 60 days × 24 bars × 2 symbols, less the 199-bar warm-up of each: every later bar is scored.
    expect(k['pred']).toBe(2 * (60 * 24 - 199));
    expect(k['exec.suggest']).toBeGreaterThan(0);
    expect(k['exec.order']).toBeGreaterThan(0);
    expect(k['exec.fill']).toBeGreaterThan(0);
    expect((k['exec.order'] ?? 0) + (k['exec.reject'] ?? 0)).toBe(k['exec.suggest']);
    expect(b.length).toBe(a.length);
    // Same subjects, ids and payloads, in the same stream order.
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) expect(b[i], `message ${i}`).toBe(a[i]);
    expect(runs[0]?.engine.decisions?.sequencer.late()).toBe(0);
  });
});
