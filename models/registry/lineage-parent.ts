import type { ModelRegistry } from './model-registry.js';

/**
 * The parent a newly trained version of `name` records: the version `production` points at (the
 * model the new one is trained to replace, as the retraining actor records its champion for a
 * challenger), else, before anything was promoted, the newest version the registry did not reject.
 * A rejected version is never a parent: training took the newest of the list, so a version trained
 * after a retraining challenger lost named the loser, which never served, as what it descends from.
 * `null` for the first version of a name (or when every earlier version was rejected).
 *
 * @example
 * const parentVersion = await lineageParent(registry, 'direction-mlp'); // production's version
 */
export async function lineageParent(registry: Pick<ModelRegistry, 'list'>, name: string): Promise<number | null> {
  // One read: production and the rejections as of the same moment.
  const versions = await registry.list(name);
  const parent = versions.find((v) => v.aliases.includes('production')) ?? versions.find((v) => !v.rejected);
  return parent?.version ?? null;
}
