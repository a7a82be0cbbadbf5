import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureSpecHash } from '../../models/registry/feature-spec.js';
import { ModelNotFoundError, RegistryError } from '../../models/registry/model-registry.js';
import { AliasMovedError, AnnouncementPendingError, ModelRejectedError, NoRollbackTargetError } from '../../models/registry/registry-errors.js';
import { ModelEventSchema } from '../../streams/messages/model-event.js';
import { eventsOf, newModel, onnxBytes, SPEC, T0 } from './model-registry.fixtures.js';
import type { RegistryHarness } from './model-registry.fixtures.js';

const ops = { actor: 'ops-alice', reason: 'walk-forward sharpe 1.2 > 0.9' } as const;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * The ModelRegistry contract, run against every adapter. `make()` builds a registry on empty
 * storage whose events land in a stream of its own.
 */
export function modelRegistryContract(adapter: string, make: () => Promise<RegistryHarness>): void {
  describe(`ModelRegistry contract: ${adapter}`, () => {
    let h: RegistryHarness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => h.close());

    it('registers consecutive versions with hashes, creation time and lineage, and announces each', async () => {
      h.clock.advanceTo(T0 + 1_000);
      const v1 = await h.registry.register(newModel('alpha'), onnxBytes(1), { actor: 'trainer', reason: 'nightly' });
      h.clock.advanceTo(T0 + 2_000);
      const v2 = await h.registry.register(newModel('alpha', { parentVersion: 1, configHash: 'cfg-bb22', metrics: { accuracy: 0.44 } }), onnxBytes(2));
      expect(v1).toEqual({
        ...newModel('alpha'), version: 1, aliases: [], featureSpecHash: featureSpecHash(SPEC), artifactSha256: sha(onnxBytes(1)), createdAt: T0 + 1_000,
      });
      expect(v2).toMatchObject({ version: 2, parentVersion: 1, configHash: 'cfg-bb22', metrics: { accuracy: 0.44 }, createdAt: T0 + 2_000 });
      const events = await eventsOf(h, 'alpha', 2);
      expect(events.map((e) => [e.event, e.version, e.alias, e.previousVersion, e.actor, e.reason, e.ts])).toEqual([
        ['registered', 1, null, null, 'trainer', 'nightly', T0 + 1_000],
        ['registered', 2, null, null, 'registry', '', T0 + 2_000],
      ]);
      expect(events[0]?.id).toMatch(/^m:alpha:1:registered:\d+$/);
      expect(new Set(events.map((e) => e.id)).size).toBe(2);
    });

    it('resolves name@version, name@alias and a bare name (production), and refuses unknown refs', async () => {
      await h.registry.register(newModel('beta'), onnxBytes(1));
      await h.registry.register(newModel('beta'), onnxBytes(2));
      await expect(h.registry.get('beta')).rejects.toBeInstanceOf(ModelNotFoundError); // nothing promoted yet
      await h.registry.promote('beta', 2, ops);
      await h.registry.promote('beta', 1, { ...ops, alias: 'candidate' });
      expect((await h.registry.get('beta@1')).version).toBe(1);
      expect((await h.registry.get('beta@2')).aliases).toEqual(['production']);
      expect((await h.registry.get('beta')).version).toBe(2);
      expect((await h.registry.get('beta@production')).version).toBe(2);
      expect(await h.registry.get('beta@candidate')).toMatchObject({ version: 1, aliases: ['candidate'] });
      await expect(h.registry.get('beta@3')).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.get('beta@shadow')).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.get('nobody')).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.get('bad name@1')).rejects.toBeInstanceOf(RegistryError);
    });

    it('refuses refs that cannot name a version (zero, negative, past the largest) and aliases that read as a version', async () => {
      await h.registry.register(newModel('nu'), onnxBytes(1));
      await h.registry.register(newModel('nu'), onnxBytes(2));
      await h.registry.promote('nu', 1, ops);
      for (const ref of ['nu@0', 'nu@-1', 'nu@2147483648', 'nu@99999999999999999999']) {
        const err = await h.registry.get(ref).catch((e: unknown) => e);
        expect(err, ref).toBeInstanceOf(RegistryError);
        expect(err, ref).not.toBeInstanceOf(ModelNotFoundError);
        expect((err as Error).message, ref).toBe(`bad version in ${JSON.stringify(ref)}: a version is a positive integer up to 2147483647`);
      }
      // One past the version column: refused as a bad version, not a database failure.
      await expect(h.registry.promote('nu', 2_147_483_648, ops)).rejects.toThrow(/a version is a positive integer up to 2147483647/);
      await expect(h.registry.reject('nu', 2_147_483_648, ops)).rejects.toThrow(/a version is a positive integer up to 2147483647/);
      await expect(h.registry.rollback('nu', { ...ops, to: 2_147_483_648 })).rejects.toThrow(/a version is a positive integer up to 2147483647/);
      // `nu@2` is version 2: an alias spelled `2` (or `-1`) could never be resolved by its ref.
      for (const alias of ['2', '-1', '007']) {
        await expect(h.registry.promote('nu', 2, { ...ops, alias }), alias).rejects.toThrow(/an alias is not a number/);
      }
      expect((await h.registry.get('nu@2')).aliases).toEqual([]);
      expect((await eventsOf(h, 'nu', 3)).map((e) => e.event)).toEqual(['registered', 'registered', 'promoted']);
    });

    it('lists versions newest first, for one model or all', async () => {
      const gamma = await h.registry.list('gamma');
      expect(gamma).toEqual([]);
      await h.registry.register(newModel('gamma'), onnxBytes(1));
      await h.registry.register(newModel('gamma'), onnxBytes(2));
      await h.registry.register(newModel('gamma'), onnxBytes(3));
      expect((await h.registry.list('gamma')).map((v) => v.version)).toEqual([3, 2, 1]);
      const all = await h.registry.list();
      expect(all.slice(0, 3).map((v) => `${v.name}@${v.version}`)).toEqual(['gamma@3', 'gamma@2', 'gamma@1']);
      expect(all.map((v) => `${v.name}@${v.version}`)).toEqual(expect.arrayContaining(['alpha@1', 'alpha@2', 'beta@1', 'beta@2']));
      await expect(h.registry.list('bad.name')).rejects.toBeInstanceOf(RegistryError);
    });

    it('promotes in one step and announces it on sx.model.<name>.promoted with the previous version', async () => {
      await h.registry.register(newModel('delta'), onnxBytes(1));
      await h.registry.register(newModel('delta'), onnxBytes(2));
      h.clock.advanceTo(T0 + 10_000);
      const first = await h.registry.promote('delta', 1, ops);
      h.clock.advanceTo(T0 + 11_000);
      const second = await h.registry.promote('delta', 2, ops);
      expect(ModelEventSchema.parse(second)).toEqual(second);
      expect(first).toMatchObject({ type: 'model.event', v: 1, name: 'delta', event: 'promoted', version: 1, alias: 'production', previousVersion: null, ts: T0 + 10_000 });
      expect(second).toMatchObject({ event: 'promoted', version: 2, previousVersion: 1, actor: ops.actor, reason: ops.reason, ts: T0 + 11_000 });
      expect(second.id).toMatch(/^m:delta:2:promoted:\d+$/);
      expect((await h.registry.get('delta@1')).aliases).toEqual([]);
      expect((await h.registry.get('delta')).version).toBe(2);
      const events = await eventsOf(h, 'delta', 4);
      expect(events.slice(2)).toEqual([first, second]);
    });

    it('refuses to promote a version that does not exist or already holds the alias, announcing nothing', async () => {
      await h.registry.register(newModel('epsilon'), onnxBytes(1));
      await h.registry.promote('epsilon', 1, ops);
      await expect(h.registry.promote('epsilon', 1, ops)).rejects.toThrow(/already points at version 1/);
      await expect(h.registry.promote('epsilon', 2, ops)).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.promote('nobody', 1, ops)).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.promote('epsilon', 1, { ...ops, actor: '' })).rejects.toBeInstanceOf(RegistryError);
      await expect(h.registry.promote('epsilon', 1, { ...ops, alias: 'no.dots' })).rejects.toBeInstanceOf(RegistryError);
      expect((await eventsOf(h, 'epsilon', 2)).map((e) => e.event)).toEqual(['registered', 'promoted']);
    });

    it('rolls back step by step to the versions held before, then refuses when there is none', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('zeta'), onnxBytes(seed));
      for (const v of [1, 2, 3]) await h.registry.promote('zeta', v, ops);
      h.clock.advanceTo(T0 + 20_000);
      const back = await h.registry.rollback('zeta', { actor: 'ops-bob', reason: 'drawdown' });
      expect(back).toMatchObject({ event: 'rolled_back', version: 2, previousVersion: 3, alias: 'production', actor: 'ops-bob', ts: T0 + 20_000 });
      expect((await h.registry.get('zeta')).version).toBe(2);
      expect((await h.registry.rollback('zeta', ops)).version).toBe(1); // walks back, does not toggle 2 ↔ 3
      expect((await h.registry.get('zeta')).version).toBe(1);
      await expect(h.registry.rollback('zeta', ops)).rejects.toBeInstanceOf(NoRollbackTargetError);
      await h.registry.promote('zeta', 3, ops);
      expect((await h.registry.rollback('zeta', ops)).version).toBe(1);
      const events = await eventsOf(h, 'zeta', 10);
      expect(events.slice(6).map((e) => [e.event, e.version, e.previousVersion])).toEqual([
        ['rolled_back', 2, 3], ['rolled_back', 1, 2], ['promoted', 3, 1], ['rolled_back', 1, 3],
      ]);
    });

    it('rolls back several steps at once to a version held before (one transaction, one event), and walks on from there', async () => {
      for (const seed of [1, 2, 3, 4]) await h.registry.register(newModel('omicron'), onnxBytes(seed));
      for (const v of [1, 2, 3, 4]) await h.registry.promote('omicron', v, ops);
      const back = await h.registry.rollback('omicron', { ...ops, to: 2 });
      expect(back).toMatchObject({ event: 'rolled_back', version: 2, previousVersion: 4, alias: 'production' });
      expect((await h.registry.get('omicron')).version).toBe(2);
      // Not held before the current one (3 came after 2), nor the current one itself: refused, nothing written.
      await expect(h.registry.rollback('omicron', { ...ops, to: 3 })).rejects.toThrow(/omicron@production did not hold version 3 before the current one/);
      await expect(h.registry.rollback('omicron', { ...ops, to: 4 })).rejects.toBeInstanceOf(NoRollbackTargetError);
      await expect(h.registry.rollback('omicron', { ...ops, to: 2 })).rejects.toThrow(/omicron@production already points at version 2: it is the current one/);
      await expect(h.registry.rollback('omicron', { ...ops, to: 0 })).rejects.toBeInstanceOf(RegistryError);
      // The stack went down with it: a plain rollback goes on to 1, not back to 3.
      expect((await h.registry.rollback('omicron', ops)).version).toBe(1);
      await expect(h.registry.rollback('omicron', ops)).rejects.toBeInstanceOf(NoRollbackTargetError);
      const events = await eventsOf(h, 'omicron', 10);
      expect(events.slice(8).map((e) => [e.event, e.version, e.previousVersion])).toEqual([['rolled_back', 2, 4], ['rolled_back', 1, 2]]);
      // Back to the current version by way of the stack (1 → 2 → 1): refused, it already points there.
      await h.registry.promote('omicron', 2, ops);
      await h.registry.promote('omicron', 1, ops);
      await expect(h.registry.rollback('omicron', { ...ops, to: 1 })).rejects.toThrow(/already points at version 1/);
      expect((await h.registry.rollback('omicron', { ...ops, to: 2 })).version).toBe(2);
    });

    it('with ifCurrent, promotes or rolls back only while the alias still points at that version', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('sigma'), onnxBytes(seed));
      await h.registry.promote('sigma', 1, ops);
      await h.registry.promote('sigma', 2, { ...ops, ifCurrent: 1 });
      // Another writer moved production to 3 since the caller saw 2: refused, nothing written or announced.
      await h.registry.promote('sigma', 3, ops);
      const moved = h.registry.rollback('sigma', { ...ops, ifCurrent: 2 });
      await expect(moved).rejects.toBeInstanceOf(AliasMovedError);
      await expect(moved).rejects.toMatchObject({ current: 3, message: 'sigma@production points at version 3, not version 2: it was moved meanwhile, nothing changed' });
      await expect(h.registry.rollback('sigma', { ...ops, to: 1, ifCurrent: 2 })).rejects.toBeInstanceOf(AliasMovedError);
      await expect(h.registry.promote('sigma', 1, { ...ops, ifCurrent: 2 })).rejects.toBeInstanceOf(AliasMovedError);
      await expect(h.registry.promote('sigma', 1, { ...ops, alias: 'candidate', ifCurrent: 2 })).rejects.toThrow(/sigma@candidate points at nothing, not version 2/);
      expect((await h.registry.get('sigma')).version).toBe(3);
      expect((await eventsOf(h, 'sigma', 6)).map((e) => e.event)).toEqual(['registered', 'registered', 'registered', 'promoted', 'promoted', 'promoted']);
      expect((await h.registry.rollback('sigma', { ...ops, ifCurrent: 3 })).version).toBe(2);
    });

    it('refuses a rollback with no history: alias never set, or set once', async () => {
      await h.registry.register(newModel('eta'), onnxBytes(1));
      await expect(h.registry.rollback('eta', ops)).rejects.toThrow(/eta@production is not set/);
      // A model the registry does not hold is not found (as a deploy of it is), not "not set".
      const unknown = h.registry.rollback('nosuch-eta', ops);
      await expect(unknown).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(unknown).rejects.toThrow(/model nosuch-eta not found/);
      await expect(h.registry.rollback('nosuch-eta', { ...ops, to: 1, ifCurrent: 1 })).rejects.toBeInstanceOf(ModelNotFoundError);
      await h.registry.promote('eta', 1, { ...ops, alias: 'candidate' });
      await expect(h.registry.rollback('eta', { ...ops, alias: 'candidate' })).rejects.toBeInstanceOf(NoRollbackTargetError);
      expect((await h.registry.get('eta@candidate')).version).toBe(1);
      expect((await eventsOf(h, 'eta', 2)).map((e) => e.event)).toEqual(['registered', 'promoted']);
    });

    it('rejects a candidate: clears its aliases, refuses production, and bars it from promotion and rollback', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('theta'), onnxBytes(seed));
      await h.registry.promote('theta', 1, ops);
      await h.registry.promote('theta', 2, ops);
      await h.registry.promote('theta', 3, { ...ops, alias: 'candidate' });
      await expect(h.registry.reject('theta', 2, ops)).rejects.toThrow(/production/);
      const rejected = await h.registry.reject('theta', 3, { actor: 'retrainer', reason: 'worse than production on holdout' });
      expect(rejected).toMatchObject({ event: 'rejected', version: 3, alias: null, previousVersion: null, actor: 'retrainer' });
      await expect(h.registry.get('theta@candidate')).rejects.toBeInstanceOf(ModelNotFoundError);
      expect((await h.registry.get('theta@3')).aliases).toEqual([]);
      // It exists: refused as rejected, not "not found" (a deploy of it answered NOT_FOUND).
      await expect(h.registry.promote('theta', 3, ops)).rejects.toThrow(new ModelRejectedError('model theta@3 was rejected'));
      await expect(h.registry.promote('theta', 3, ops)).rejects.not.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.reject('theta', 3, ops)).rejects.toBeInstanceOf(ModelRejectedError);
      await expect(h.registry.reject('theta', 9, ops)).rejects.toBeInstanceOf(ModelNotFoundError);
      await h.registry.reject('theta', 1, ops); // the version production held before
      await expect(h.registry.rollback('theta', ops)).rejects.toBeInstanceOf(NoRollbackTargetError);
      expect((await h.registry.get('theta')).version).toBe(2);
      expect((await h.registry.list('theta')).map((v) => [v.version, v.rejected])).toEqual([[3, true], [2, false], [1, true]]);
      expect((await h.registry.list()).filter((v) => v.name === 'theta').map((v) => v.rejected)).toEqual([true, false, true]);
      const events = await eventsOf(h, 'theta', 8);
      expect(events.slice(6).map((e) => [e.event, e.version])).toEqual([['rejected', 3], ['rejected', 1]]);
    });

    it('gives the event that set each alias it holds now, as announced, and none for an alias a reject cleared', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('omega'), onnxBytes(seed));
      await h.registry.promote('omega', 1, ops);
      await h.registry.promote('omega', 2, ops);
      const staging = await h.registry.promote('omega', 3, { ...ops, alias: 'staging' });
      const back = await h.registry.rollback('omega', { actor: 'ops-bob', reason: 'drawdown' });
      await h.registry.promote('omega', 2, { ...ops, alias: 'candidate' });
      await h.registry.reject('omega', 2, ops);
      const set = (await h.registry.aliasEvents()).filter((e) => e.name === 'omega');
      expect(set).toEqual([staging, back]);
      const announced = await eventsOf(h, 'omega', 9);
      expect(set.map((e) => announced.find((a) => a.id === e.id))).toEqual(set);
    });

    it('removes an alias in one change, announced as alias_removed; the version stays promotable; production is refused', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('rho'), onnxBytes(seed));
      await h.registry.promote('rho', 1, ops);
      await h.registry.promote('rho', 2, { ...ops, alias: 'candidate' });
      h.clock.advanceTo(T0 + 50_000);
      const removed = await h.registry.removeAlias('rho', 'candidate', { actor: 'retrainer', reason: 'cycle ended', ifCurrent: 2 });
      expect(removed).toMatchObject({ event: 'alias_removed', name: 'rho', version: 2, alias: 'candidate', previousVersion: null, actor: 'retrainer', reason: 'cycle ended', ts: T0 + 50_000 });
      expect(removed.id).toMatch(/^m:rho:2:alias_removed:\d+$/);
      await expect(h.registry.get('rho@candidate')).rejects.toBeInstanceOf(ModelNotFoundError);
      expect((await h.registry.list('rho')).map((v) => [v.version, v.aliases, v.rejected])).toEqual([[3, [], false], [2, [], false], [1, ['production'], false]]);
      expect((await h.registry.aliasEvents()).filter((e) => e.name === 'rho').map((e) => e.alias)).toEqual(['production']);
      // Not set any more: not found, or moved for a removal conditioned on what it held; nothing written.
      await expect(h.registry.removeAlias('rho', 'candidate', ops)).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(h.registry.removeAlias('rho', 'candidate', { ...ops, ifCurrent: 2 })).rejects.toBeInstanceOf(AliasMovedError);
      await expect(h.registry.removeAlias('nosuch-rho', 'candidate', ops)).rejects.toBeInstanceOf(ModelNotFoundError);
      // Moved meanwhile (another cycle's challenger took it): the removal conditioned on 2 leaves it.
      await h.registry.promote('rho', 3, { ...ops, alias: 'candidate' });
      await expect(h.registry.removeAlias('rho', 'candidate', { ...ops, ifCurrent: 2 })).rejects.toThrow(/rho@candidate points at version 3, not version 2/);
      expect((await h.registry.get('rho@candidate')).version).toBe(3);
      await expect(h.registry.removeAlias('rho', 'production', ops)).rejects.toThrow(/rho@production cannot be removed/);
      await expect(h.registry.removeAlias('rho', 'bad alias', ops)).rejects.toBeInstanceOf(RegistryError);
      expect((await h.registry.get('rho')).version).toBe(1);
      // The version the alias left is not rejected: it can take the alias again, or production.
      await h.registry.promote('rho', 2, ops);
      // A promotion after the removal starts the alias's history afresh: nothing to roll back to.
      await h.registry.removeAlias('rho', 'candidate', ops);
      await h.registry.promote('rho', 3, { ...ops, alias: 'candidate' });
      await expect(h.registry.rollback('rho', { ...ops, alias: 'candidate' })).rejects.toBeInstanceOf(NoRollbackTargetError);
      const events = await eventsOf(h, 'rho', 10);
      expect(events.slice(5).map((e) => [e.event, e.version, e.alias])).toEqual([['alias_removed', 2, 'candidate'], ['promoted', 3, 'candidate'], ['promoted', 2, 'production'], ['alias_removed', 3, 'candidate'], ['promoted', 3, 'candidate']]);
      expect(events.every((e) => ModelEventSchema.safeParse(e).success)).toBe(true);
    });

    it('promotes and removes the aliases it names in one change: promoted then alias_removed, only those on the promoted version', async () => {
      for (const seed of [1, 2, 3]) await h.registry.register(newModel('phi'), onnxBytes(seed));
      await h.registry.promote('phi', 1, ops);
      await h.registry.promote('phi', 2, { ...ops, alias: 'candidate' });
      await h.registry.promote('phi', 3, { ...ops, alias: 'staging' });
      h.clock.advanceTo(T0 + 60_000);
      const e = await h.registry.promote('phi', 2, { actor: 'retrainer', reason: 'shadow won', ifCurrent: 1, removeAliases: ['candidate', 'staging', 'shadow', 'candidate'] });
      expect(e).toMatchObject({ event: 'promoted', version: 2, alias: 'production', previousVersion: 1 });
      // `candidate` was on 2 and goes; `staging` is on 3 and stays; `shadow` was not set.
      expect((await h.registry.list('phi')).map((v) => [v.version, v.aliases])).toEqual([[3, ['staging']], [2, ['production']], [1, []]]);
      const events = await eventsOf(h, 'phi', 8);
      expect(events.slice(6).map((x) => [x.event, x.version, x.alias, x.previousVersion, x.actor, x.reason, x.ts])).toEqual([
        ['promoted', 2, 'production', 1, 'retrainer', 'shadow won', T0 + 60_000],
        ['alias_removed', 2, 'candidate', null, 'retrainer', 'promoted to production: shadow won', T0 + 60_000],
      ]);
      // Refused before anything is written: production, the alias being moved, a bad alias.
      await expect(h.registry.promote('phi', 3, { ...ops, removeAliases: ['production'] })).rejects.toThrow(/phi@production cannot be removed/);
      await expect(h.registry.promote('phi', 3, { ...ops, alias: 'staging2', removeAliases: ['staging2'] })).rejects.toThrow(/is the alias this promotion moves/);
      await expect(h.registry.promote('phi', 3, { ...ops, removeAliases: ['bad alias'] })).rejects.toBeInstanceOf(RegistryError);
      // Refused as a whole (ifCurrent): nothing removed either.
      await h.registry.promote('phi', 3, { ...ops, alias: 'candidate' });
      await expect(h.registry.promote('phi', 3, { ...ops, ifCurrent: 1, removeAliases: ['candidate'] })).rejects.toBeInstanceOf(AliasMovedError);
      expect((await h.registry.get('phi@candidate')).version).toBe(3);
      expect((await h.registry.get('phi')).version).toBe(2);
    });

    it('returns the artifact bytes exactly, per version', async () => {
      await h.registry.register(newModel('iota'), onnxBytes(7));
      await h.registry.register(newModel('iota'), onnxBytes(8));
      expect(await h.registry.artifact({ name: 'iota', version: 1 })).toEqual(onnxBytes(7));
      expect(await h.registry.artifact({ name: 'iota', version: 2 })).toEqual(onnxBytes(8));
      await expect(h.registry.artifact({ name: 'iota', version: 3 })).rejects.toBeInstanceOf(ModelNotFoundError);
    });

    it('gives concurrent registrations distinct consecutive versions, each with its own artifact', async () => {
      const seeds = [1, 2, 3, 4, 5, 6];
      const made = await Promise.all(seeds.map((s) => h.registry.register(newModel('kappa', { configHash: `cfg-${s}` }), onnxBytes(s))));
      expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const v of made) {
        const seed = Number(v.configHash.slice(4));
        expect(await h.registry.artifact(v)).toEqual(onnxBytes(seed));
        expect(v.artifactSha256).toBe(sha(onnxBytes(seed)));
      }
      expect((await eventsOf(h, 'kappa', 6)).map((e) => e.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('refuses invalid registrations before storing anything', async () => {
      const bad: Array<[string, ReturnType<typeof newModel>]> = [
        ['feature spec lengths', newModel('lambda', { featureSpec: { ...SPEC, mean: [0] } })],
        ['zero std', newModel('lambda', { featureSpec: { ...SPEC, std: [0.1, 0] } })],
        ['train range', newModel('lambda', { trainRange: { from: 5, to: 5 } })],
        ['non-finite metric', newModel('lambda', { metrics: { sharpe: Number.NaN } })],
        ['unknown parent', newModel('lambda', { parentVersion: 1 })],
        ['bad name', newModel('lam.bda')],
      ];
      for (const [, m] of bad) await expect(h.registry.register(m, onnxBytes(1))).rejects.toBeInstanceOf(RegistryError);
      await expect(h.registry.register(newModel('lambda'), new Uint8Array(0))).rejects.toThrow(/empty/);
      expect(await h.registry.list('lambda')).toEqual([]);
      await eventsOf(h, 'lambda', 0);
      expect((await h.registry.register(newModel('lambda'), onnxBytes(1))).version).toBe(1);
    });

    it('keeps a change made during a bus outage and announces it, once, with the next change', async () => {
      await h.registry.register(newModel('mu'), onnxBytes(1));
      await h.registry.register(newModel('mu'), onnxBytes(2));
      h.outage.on = true;
      const err = await h.registry.promote('mu', 1, ops).catch((e: unknown) => e);
      h.outage.on = false;
      expect(err).toBeInstanceOf(AnnouncementPendingError);
      const pending = (err as AnnouncementPendingError).event;
      expect(pending).toMatchObject({ event: 'promoted', version: 1 });
      expect((await h.registry.get('mu')).version).toBe(1); // committed
      const next = await h.registry.promote('mu', 2, ops);
      expect(await eventsOf(h, 'mu', 4)).toEqual([expect.objectContaining({ version: 1 }), expect.objectContaining({ version: 2 }), pending, next]);
    });
  });
}
