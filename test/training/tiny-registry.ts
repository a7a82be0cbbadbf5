import { createHash } from 'node:crypto';
import { featureSpecHash } from '../../models/registry/feature-spec.js';
import type { ModelRegistry, ModelVersion, NewModelVersion } from '../../models/registry/model-registry.js';
import { ModelNotFoundError, parseModelRef } from '../../models/registry/model-registry.js';
import { parseNewModelVersion } from '../../models/registry/new-model-version.js';

/**
 * A minimal in-test ModelRegistry: keeps versions and artifacts in arrays and validates each
 * registration with the registry's own schema (so a model the real adapters would refuse fails
 * here too). Aliases, promotion and rollback are not needed by training and throw.
 */
export function tinyRegistry(): ModelRegistry & { artifacts: Map<string, Uint8Array> } {
  const versions: ModelVersion[] = [];
  const artifacts = new Map<string, Uint8Array>();
  const unsupported = (): never => {
    throw new Error('not supported by the test registry');
  };
  return {
    artifacts,
    register(model: NewModelVersion, artifact: Uint8Array) {
      const m = parseNewModelVersion(model);
      const version = Math.max(0, ...versions.filter((v) => v.name === m.name).map((v) => v.version)) + 1;
      const v: ModelVersion = {
        ...m,
        version,
        aliases: [],
        featureSpecHash: featureSpecHash(m.featureSpec),
        artifactSha256: createHash('sha256').update(artifact).digest('hex'),
        createdAt: 0,
      };
      versions.push(v);
      artifacts.set(`${m.name}@${version}`, artifact);
      return Promise.resolve(v);
    },
    get(ref) {
      const r = parseModelRef(ref);
      const found = 'version' in r ? versions.find((v) => v.name === r.name && v.version === r.version) : undefined;
      return found === undefined ? Promise.reject(new ModelNotFoundError(ref)) : Promise.resolve(found);
    },
    artifact(m) {
      const a = artifacts.get(`${m.name}@${m.version}`);
      return a === undefined ? Promise.reject(new ModelNotFoundError(`${m.name}@${m.version}`)) : Promise.resolve(a);
    },
    list(name) {
      // Nothing is rejected here (`reject` is not supported).
      return Promise.resolve(versions.filter((v) => name === undefined || v.name === name).sort((a, b) => b.version - a.version).map((v) => ({ ...v, rejected: false })));
    },
    promote: unsupported,
    rollback: unsupported,
    reject: unsupported,
    removeAlias: unsupported,
    // No aliases are ever set here.
    aliasEvents: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
}
