import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { asyncApiYaml } from '../../client/asyncapi.js';
import { ASYNCAPI_PATH, writeAsyncApi } from '../../client/write-asyncapi.js';
import { CONTROL_VERBS } from '../../gateways/control/control-messages.js';

const committed = readFileSync(ASYNCAPI_PATH, 'utf8');

type Node = { [k: string]: unknown };
const asNode = (v: unknown): Node => {
  expect(typeof v === 'object' && v !== null, `expected an object, got ${JSON.stringify(v)}`).toBe(true);
  return v as Node;
};

/** Follows local `$ref`s (`#/a/b/c`) in the parsed document. */
function resolve(doc: Node, v: unknown): Node {
  let n = asNode(v);
  for (let i = 0; typeof n['$ref'] === 'string' && i < 10; i++) {
    const path = (n['$ref'] as string).replace(/^#\//, '').split('/');
    n = asNode(path.reduce<unknown>((at, key) => asNode(at)[key], doc));
  }
  return n;
}

describe('docs/asyncapi.yaml', () => {
  it('is what the generator makes from the current schemas (run `npm run asyncapi` after a schema change)', () => {
    expect(committed).toBe(asyncApiYaml());
    const dir = mkdtempSync(join(tmpdir(), 'asyncapi-'));
    try {
      expect(readFileSync(writeAsyncApi(join(dir, 'asyncapi.yaml')), 'utf8')).toBe(committed); // what `npm run asyncapi` writes
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('parses as AsyncAPI 3.0 YAML, and every channel has a message with a payload schema', () => {
    const doc = asNode(parse(committed));
    expect(doc['asyncapi']).toBe('3.0.0');
    const channels = asNode(doc['channels']);
    const addresses = Object.values(channels).map((c) => asNode(c)['address']);
    for (const a of [
      'sx.md.{venue}.{sym}.trade',
      'sx.md.{venue}.{sym}.quote',
      'sx.md.{venue}.{sym}.bar.{tf}',
      'sx.feat.{venue}.{sym}',
      'sx.pred.{strategy}.{venue}.{sym}',
      'sx.exec.suggest.{strategy}.{venue}.{sym}',
      'sx.exec.order.{strategy}.{venue}.{sym}',
      'sx.exec.reject.{strategy}.{venue}.{sym}',
      'sx.exec.fill.{venue}.{sym}',
      'sx.exec.expired.{venue}.{sym}',
      'sx.outcome.{strategy}.{venue}.{sym}',
      'sx.label.{strategy}.{venue}.{sym}',
      'sx.model.{name}.{event}',
      'sx.risk.state',
      'sx.dlq.{source}',
      'sx.engine.presence',
      ...CONTROL_VERBS.map((v) => `sx.ctl.${v}`),
    ]) {
      expect(addresses).toContain(a);
    }
    for (const [id, raw] of Object.entries(channels)) {
      const ch = asNode(raw);
      const params = Object.keys(asNode(ch['parameters'] ?? {}));
      const inAddress = [...String(ch['address']).matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(params.sort(), `parameters of ${id}`).toEqual(inAddress.sort());
      for (const p of params) expect(resolve(doc, asNode(ch['parameters'])[p])['description'], `parameter ${p}`).toEqual(expect.any(String));
      const msgs = Object.values(asNode(ch['messages']));
      expect(msgs.length, `messages of ${id}`).toBeGreaterThan(0);
      for (const m of msgs) {
        const payload = resolve(doc, resolve(doc, m)['payload']);
        expect(payload['type'] !== undefined || payload['oneOf'] !== undefined || payload['anyOf'] !== undefined, `payload of ${id}`).toBe(true);
      }
    }
    // The actionable order: its schema requires what a consumer acts on.
    const order = resolve(doc, { $ref: '#/components/schemas/Order' });
    expect(order['required']).toEqual(expect.arrayContaining(['id', 'ts', 'strategy', 'venue', 'symbol', 'side', 'qty', 'orderType', 'limitPrice', 'expiresAt']));
    expect(asNode(asNode(order['properties'])['type'])['const']).toBe('exec.order');
    // When it stops working, as the paper venue, execution and risk let it go: at expiresAt, not after it.
    expect(String(asNode(channels['execOrder'])['description'])).toContain('works only while event time is before `expiresAt`');
    // A fill ahead of the engine's clock is refused, as the README says: a desk with a skewed clock learns it here.
    expect(String(asNode(channels['execFill'])['description'])).toContain('`validation.maxAheadMs`');
    // Fills and expiries have two publishers: the engine's paper venue sends them, live trading
    // consumers send theirs for the engine to read. Both were `receive` only, as if the engine never published them.
    for (const id of ['execFill', 'execExpired']) {
      const ops = Object.values(asNode(doc['operations'])).map(asNode).filter((o) => asNode(o['channel'])['$ref'] === `#/channels/${id}`);
      expect(ops.map((o) => o['action']).sort(), `operations of ${id}`).toEqual(['receive', 'send']);
      expect(String(ops.find((o) => o['action'] === 'send')?.['description']), `${id} send`).toContain('paper venue');
      expect(String(ops.find((o) => o['action'] === 'receive')?.['description']), `${id} receive`).toContain('Live trading consumers');
      expect(asNode(channels[id])['x-sextant-publisher']).toBe('live trading consumers, paper venue');
    }
    // Every operation points at an existing channel.
    const operations = Object.values(asNode(doc['operations']));
    expect(operations.length).toBeGreaterThan(0);
    for (const op of operations) {
      const o = asNode(op);
      expect(['send', 'receive']).toContain(o['action']);
      expect(resolve(doc, o['channel'])['messages']).toBeDefined();
    }
  });

  it("names every subscribe and publish function of sextant/client in its info (publishExpiry was left out)", async () => {
    const client: Record<string, unknown> = await import('../../client/mod.js');
    const api = Object.keys(client).filter((k) => /^(subscribe|publish)[A-Z]/.test(k) && typeof client[k] === 'function');
    expect(api).toEqual(expect.arrayContaining(['subscribeOrders', 'subscribePredictions', 'publishFill', 'publishExpiry']));
    const info = String(asNode(asNode(parse(committed))['info'])['description']);
    for (const name of api) expect(info, name).toContain(name);
  });
});
