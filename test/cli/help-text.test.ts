import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BacktestSpecSchema } from '../../cli/commands/backtest-spec.js';

const ROOT = resolve(import.meta.dirname, '../..');

type Help = { code: number | null; out: string };

/** `sextant <args> --help` as a user types it: its exit code and stdout. */
const spawnHelp = (args: readonly string[]): Promise<Help> =>
  new Promise((done, fail) => {
    const p = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args, '--help'], { cwd: ROOT, env: { ...process.env } });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.on('error', fail);
    p.on('close', (code) => done({ code, out }));
  });

// Each help is one `sextant` process (one to two seconds); tests reading the same help
// (backtest's, train's) share one run of it.
const helps = new Map<string, Promise<Help>>();
const help = (args: readonly string[]): Promise<Help> => {
  const key = args.join(' ');
  let h = helps.get(key);
  if (h === undefined) helps.set(key, (h = spawnHelp(args)));
  return h;
};

describe('sextant <command> --help', () => {
  // `sextant demo --help` said `(default: 1704067200000)` and `(default: 1719792000000)` for the
  // window a user gives as dates, and lists as JSON arrays where the flag takes a,b,c.
  it('shows the demo window and symbol defaults as a user types them', async () => {
    const { code, out } = await help(['demo']);
    expect(code).toBe(0);
    expect(out).toMatch(/--from <date>\s+window start \(inclusive\) \(default:\s+2024-01-01\)/);
    expect(out).toMatch(/--to <date>\s+window end \(exclusive\) \(default:\s+2024-07-01\)/);
    expect(out).toMatch(/\(default:\s+BTC\/USDT,ETH\/USDT,SOL\/USDT\)/);
    expect(out).not.toMatch(/\d{13}/);
    expect(out).not.toContain('["');
  }, 30_000);

  // A subcommand's help listed only its own options, though it takes the global -c/--config
  // (`sextant backtest -c my.yaml …`), and a ctl verb the ctl options (--url, --user, --timeout).
  it('lists the options a subcommand takes from the commands above it', async () => {
    const [backtest, halt, exportHelp, train] = await Promise.all([help(['backtest']), help(['ctl', 'halt']), help(['dataset', 'export']), help(['train'])]);
    for (const h of [backtest, halt, exportHelp, train]) {
      expect(h.code).toBe(0);
      expect(h.out).toContain('Global Options:');
      expect(h.out).toContain('-c, --config <file>');
    }
    for (const flag of ['--url <nats-url>', '--user <name>', '--password <secret>', '--timeout <ms>']) expect(halt.out).toContain(flag);
    expect(backtest.out).toMatch(/\(default:\s+BTC\/USDT\)/);
    expect(train.out).toMatch(/\(default:\s+BTC\/USDT,ETH\/USDT,SOL\/USDT\)/);
  }, 30_000);
});

/** Every key name of an object schema, its nested objects' and unions' included. */
function keyNames(t: z.ZodType): string[] {
  const inner = t instanceof z.ZodOptional ? t.unwrap() : t;
  if (inner instanceof z.ZodObject) return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([k, v]) => [k, ...keyNames(v)]);
  if (inner instanceof z.ZodDiscriminatedUnion) return inner.options.flatMap((o) => keyNames(o as z.ZodType));
  return [];
}

describe('sextant backtest --help', () => {
  // --spec's help named "symbols, from/to, timeframe, source, strategy, costs, report": 7 of the
  // 12 keys, and none of costs' or strategy's, so a spec could not be written from it.
  it("names every key a --spec file takes under --spec", async () => {
    const { code, out } = await help(['backtest']);
    expect(code).toBe(0);
    const spec = (/--spec <yaml>\s+([\s\S]*?)\n {2}--/.exec(out)?.[1] ?? '').replace(/\s+/g, ' ');
    const keys = [...new Set(keyNames(BacktestSpecSchema))];
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(spec, k).toMatch(new RegExp(`\\b${k}\\b`));
  }, 30_000);
});

describe('sextant ctl and train --help', () => {
  // `ctl resume` and `ctl retrain resume` showed `--reason <text> … (default: "")`, an empty
  // string as if it were a value; `ctl limits get` and `ctl model list` had no description.
  it('shows resume --reason as optional, and describes limits get and model list', async () => {
    const [resume, retrainResume, limits, model] = await Promise.all([help(['ctl', 'resume']), help(['ctl', 'retrain', 'resume']), help(['ctl', 'limits']), help(['ctl', 'model'])]);
    for (const h of [resume, retrainResume]) {
      expect(h.code).toBe(0);
      // `retrain resume` also keeps the reason in its status (resumeReason, 6133cbe).
      expect(h.out).toMatch(/--reason <text>\s+why, for the audit trail[^(]*\((?:resumeReason; )?optional\)\n/);
      expect(h.out).not.toContain('(default: "")');
    }
    expect(limits.out).toMatch(/\n {2}get\s+the risk limits in force/);
    expect(model.out).toMatch(/\n {2}list \[name\]\s+registered versions, newest first/);
  }, 30_000);

  // The train command was described as training "the baseline MLP", though --model gru|ensemble
  // trains a GRU or a stacked ensemble.
  it('describes train as training any of its model kinds', async () => {
    const [top, train] = await Promise.all([help([]), help(['train'])]);
    expect(train.out).toMatch(/train a direction classifier on historical bars \(the baseline MLP; a GRU or a\s+stacked ensemble with --model\)/);
    expect(top.out).toMatch(/train\s+\[options\]\s+train a direction classifier/);
  }, 30_000);
});
