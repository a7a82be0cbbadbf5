import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONFIG_PATH = resolve(here, 'default.yaml');
/** The repository root: relative paths in the config are resolved against it. */
export const PROJECT_ROOT = resolve(here, '..');

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Environment values are YAML scalars: `512` is a number, `true` a boolean, `[a, b]` a list. */
function parseEnvValue(raw: string): Json {
  try {
    return parse(raw) as Json;
  } catch {
    return raw;
  }
}

const SHORTHANDS: Readonly<Record<string, readonly string[]>> = {
  NATS_URL: ['nats', 'url'],
  REDIS_URL: ['redis', 'url'],
  DATABASE_URL: ['postgres', 'url'],
  SEXTANT_DATA_DIR: ['data', 'dir'],
  SEXTANT_LOG_LEVEL: ['log', 'level'],
};

/**
 * The environment variables that set the config key `setting` (`nats.url`): its shorthand where it
 * has one (`NATS_URL`), then `SEXTANT__nats__url`, which wins over it.
 */
export function envNamesOf(setting: string): string[] {
  const shorthands = Object.entries(SHORTHANDS)
    .filter(([, path]) => path.join('.') === setting)
    .map(([name]) => name);
  return [...shorthands, `SEXTANT__${setting.split('.').join('__')}`];
}

function envOverrides(env: NodeJS.ProcessEnv): JsonObject {
  let out: JsonObject = {};
  const set = (path: readonly string[], value: Json): void => {
    let node: Json = value;
    for (let i = path.length - 1; i >= 0; i--) node = { [path[i] as string]: node };
    out = deepMerge(out, node as JsonObject);
  };
  for (const [name, path] of Object.entries(SHORTHANDS)) {
    const v = env[name];
    if (v !== undefined && v !== '') set(path, v);
  }
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith('SEXTANT__') || v === undefined) continue;
    set(name.slice('SEXTANT__'.length).split('__'), parseEnvValue(v));
  }
  return out;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const key = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
      return `  ${key}: ${i.message}`;
    })
    .join('\n');
}

export type LoadOptions = Readonly<{
  /** An extra YAML file merged over the defaults. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Programmatic overrides, merged last. */
  overrides?: Record<string, unknown>;
}>;

/**
 * Loads `config/default.yaml`, merges an optional file, the environment and overrides, and
 * validates the result. A bad config fails here, naming the key and what was expected.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const readYaml = (path: string): JsonObject => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (e) {
      // A ConfigError, so the CLI reports it like any other bad config (exit 2, no stack).
      throw new ConfigError(`config file ${path} is not valid YAML: ${(e as Error).message}`);
    }
    if (doc === null || doc === undefined) return {};
    if (!isObject(doc)) throw new ConfigError(`config file ${path} must hold a YAML mapping`);
    return doc;
  };
  let merged = readYaml(DEFAULT_CONFIG_PATH);
  if (opts.file !== undefined) merged = deepMerge(merged, readYaml(opts.file));
  merged = deepMerge(merged, envOverrides(opts.env ?? process.env));
  if (opts.overrides !== undefined) merged = deepMerge(merged, opts.overrides as JsonObject);
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(`invalid configuration:\n${describeIssues(result.error.issues)}`);
  const cfg = result.data;
  return { ...cfg, data: { dir: resolve(PROJECT_ROOT, cfg.data.dir) } };
}
