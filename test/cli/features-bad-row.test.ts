import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFeatures } from '../../cli/commands/features.js';
import { SourceError } from '../../gateways/historical/source-error.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const row = (i: number): string => `${T0 + i * H},x,100,101,99,100.5,3`;

/**
 * `sextant features --bars <csv> --out <file>` stopped at a bad row with its file and line, but
 * left the rows before it in `--out`: a file that read as the features of a shorter history.
 */
describe('sextant features --out with a bad row in the bars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-features-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails naming the file and line, and leaves no --out file', async () => {
    const bars = join(dir, 'bars.csv');
    const lines = Array.from({ length: 1200 }, (_, i) => row(i));
    lines[999] = `${T0 + 999 * H},x,100,101,99,oops,3`; // line 1001 with the header
    writeFileSync(bars, ['timestamp,datetime,open,high,low,close,volume', ...lines].join('\n') + '\n');
    const out = join(dir, 'features.csv');
    const err = await runFeatures({ bars, out }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).message).toBe(`${bars}:1001: close "oops" is not a finite number`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['bars.csv']);
  });

  // `--out` in a folder that does not exist (or cannot be written) crashed the process with an
  // unhandled 'error' event and a stack trace naming the hidden `.partial-<pid>` file.
  it('refuses an --out it cannot write with an error naming --out, and writes nothing', async () => {
    const bars = join(dir, 'ok.csv');
    writeFileSync(bars, ['timestamp,datetime,open,high,low,close,volume', ...Array.from({ length: 30 }, (_, i) => row(i))].join('\n') + '\n');
    const out = join(dir, 'no-such-folder', 'features.csv');
    const err = await runFeatures({ bars, out }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write --out ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    expect((err as Error).message).not.toContain('partial');
    expect(readdirSync(dir).filter((n) => n !== 'bars.csv' && n !== 'ok.csv' && !n.startsWith('good'))).toEqual([]);
    rmSync(bars);
  });

  it('writes --out whole when every row is good', async () => {
    const bars = join(dir, 'good.csv');
    writeFileSync(bars, ['timestamp,datetime,open,high,low,close,volume', ...Array.from({ length: 30 }, (_, i) => row(i))].join('\n') + '\n');
    const out = join(dir, 'good-features.csv');
    expect(await runFeatures({ bars, out })).toBe(30);
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
  });
});
