import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../cli/engine-control.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import { createPgAuditStore } from '../../state/pg-audit-store.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { decodeText } from '../../streams/codec.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { idleSupervisor, memoryRegistryHarness, onnxBytes, servableModel } from '../contract/model-registry.fixtures.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL for the audit trail (a schema of its own); fails (never skips) when it is not reachable.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_ctlrm_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(url, schema));

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * No `ctl` verb removed an alias: an operator who had set `candidate` or `staging` by hand (or
 * found one left over) could only move it to another version. `sextant ctl model remove-alias`
 * removes one through the registry (one transaction, announced as `alias_removed`), audited as
 * every verb is; `production`, and the alias the engine serves, are refused, saying why.
 */
describe('sextant ctl model remove-alias', () => {
  it('removes an alias, announced and audited; refuses production and the served alias with why; NOT_FOUND for one not set', async () => {
    const { bus, subjects, clock, registry } = await memoryRegistryHarness();
    const audit = await createPgAuditStore({ url, schema });
    const events: ModelEvent[] = [];
    bus.subscribe(subjects.model('direction-mlp', 'alias_removed'), (_s, d) => void events.push(JSON.parse(decodeText(d)) as ModelEvent));
    for (const seed of [1, 2, 3]) await registry.register(servableModel(), onnxBytes(seed));
    await registry.promote('direction-mlp', 1, { actor: 'ops', reason: 'first' });
    await registry.promote('direction-mlp', 2, { alias: 'candidate', actor: 'ops', reason: 'look at it' });
    await registry.promote('direction-mlp', 3, { alias: 'staging', actor: 'ops', reason: 'served by the staging engine' });
    const target = engineControlTarget({
      supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry, known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
      served: { ref: 'direction-mlp@staging', timeframe: '1h' },
    });
    const server = startControlServer({ bus, subjects, target, audit, clock, log: silentLogger });
    const ask = async (id: string, args: unknown): Promise<ControlReply> =>
      ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control('model.remove-alias'), enc.encode(JSON.stringify({ v: 1, id, operator: 'alice', args })), 2000))));
    try {
      const ok = await ask('r1', { name: 'direction-mlp', alias: 'candidate', reason: 'left over from a test' });
      expect(ok).toMatchObject({ ok: true, result: { event: 'alias_removed', name: 'direction-mlp', alias: 'candidate', version: 2, actor: 'alice', reason: 'sextant ctl model remove-alias: left over from a test', announced: true } });
      expect((await registry.list('direction-mlp')).map((v) => [v.version, v.aliases, v.rejected])).toEqual([[3, ['staging'], false], [2, [], false], [1, ['production'], false]]);
      expect(events.map((e) => [e.event, e.version, e.alias, e.actor])).toEqual([['alias_removed', 2, 'candidate', 'alice']]);
      // A retry of the same request changes nothing more.
      expect(await ask('r1', { name: 'direction-mlp', alias: 'candidate', reason: 'left over from a test' })).toMatchObject({ ok: true, result: { version: 2 } });

      const prod = await ask('r2', { name: 'direction-mlp', alias: 'production' });
      expect(prod).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
      expect(prod.ok ? '' : prod.error.message).toMatch(/direction-mlp@production cannot be removed: an engine serving it would have no model to load.*deploy another version or roll back instead/);
      const served = await ask('r3', { name: 'direction-mlp', alias: 'staging' });
      expect(served).toMatchObject({ ok: false, error: { code: 'REFUSED', message: expect.stringMatching(/direction-mlp@staging is the alias this engine serves/) } });
      expect(await ask('r4', { name: 'direction-mlp', alias: 'candidate' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: 'model direction-mlp@candidate not found' } });
      expect(await ask('r5', { name: 'direction-mpl', alias: 'candidate' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/no model direction-mpl in the registry \(models: direction-mlp\)/) } });
      expect(await ask('r6', { name: 'direction-mlp', alias: 'bad alias' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(await ask('r7', { name: 'direction-mlp' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect((await registry.get('direction-mlp')).version).toBe(1);
      expect((await registry.get('direction-mlp@staging')).version).toBe(3);
      expect(events).toHaveLength(1);

      // Every request is in PostgreSQL's audit trail, as done or with its error.
      const rows = (await audit.recent(20)).filter((r) => r.verb === 'model.remove-alias');
      expect(rows.map((r) => [r.requestId, r.operator, r.outcome]).reverse()).toEqual([
        ['r1', 'alice', 'ok'], ['r1', 'alice', 'ok'], ['r2', 'alice', 'error'], ['r3', 'alice', 'error'], ['r4', 'alice', 'error'], ['r5', 'alice', 'error'], ['r6', 'alice', 'error'], ['r7', 'alice', 'error'],
      ]);
      expect(rows.at(-1)).toMatchObject({ args: { name: 'direction-mlp', alias: 'candidate', reason: 'left over from a test' }, detail: { event: 'alias_removed', version: 2 } });
      expect(rows.at(-3)).toMatchObject({ detail: { code: 'REFUSED', message: expect.stringMatching(/production cannot be removed/) } });
    } finally {
      server.unsubscribe();
      await audit.close();
      await bus.close();
    }
  });
});
