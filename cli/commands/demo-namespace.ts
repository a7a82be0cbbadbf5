import { InvalidArgumentError } from 'commander';
import type { Config } from '../../config/schema.js';

/** The namespace `sextant demo` runs in unless told otherwise (`--namespace`). */
export const DEFAULT_DEMO_NAMESPACE = 'demo';

const NAMESPACE = /^[a-z][a-z0-9]{0,31}$/;

/** `--namespace <name>`: one lowercase token (a letter, then letters and digits; at most 32). */
export function demoNamespaceArg(v: string): string {
  if (!NAMESPACE.test(v)) throw new InvalidArgumentError('a lowercase letter, then lowercase letters and digits (at most 32 in all)');
  return v;
}

/**
 * Where the demo of namespace `ns` keeps everything it resets and writes: NATS subjects
 * (`sx<ns>.…`) and streams (`<NS>_…`), Redis keys (`sx<ns>…`), the PostgreSQL schema
 * (`sextant_<ns>`: bars, features, the model registry, risk state, audit) with the registry's
 * artifacts under `models.artifactDir/sextant_<ns>`, and the risk account (`<ns>`). The default
 * namespace is the one `npm run demo` uses; tests run the demo in one of their own.
 */
export function demoNamespace(base: Config, ns: string): Pick<Config, 'prefix' | 'streamNamePrefix' | 'redis' | 'postgres'> & Readonly<{ account: string }> {
  demoNamespaceArg(ns);
  return {
    prefix: `sx${ns}`,
    streamNamePrefix: `${ns.toUpperCase()}_`,
    redis: { ...base.redis, keyPrefix: `sx${ns}` },
    postgres: { ...base.postgres, schema: `sextant_${ns}` },
    account: ns,
  };
}
