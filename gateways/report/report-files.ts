import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A report folder that cannot be written; the message names the folder and why. Not retryable. */
export class ReportDirError extends Error {
  override readonly name = 'ReportDirError';
  readonly retryable = false;
}

/**
 * Refuses, before any work, a report folder that could not be written at the end: a path that is
 * empty, a file, or lies under one, or whose nearest existing folder is not writable. A backtest found
 * this only after training and replaying (`EEXIST: file already exists, mkdir …`). Writability is
 * probed by creating (and removing) a folder in the nearest existing one: a permission check alone
 * passed for root under `/proc`, where no folder can be made. Leaves nothing behind.
 *
 * @example checkReportDir(opts.report, '--report')
 */
export function checkReportDir(dir: string, what = '--report'): void {
  // An empty one (`--report ''`, `report: ''`) passed as the working folder, and the backtest
  // died after training and replaying at `mkdir ''`.
  if (dir.trim() === '') throw new ReportDirError(`${what} is empty: name the folder for the report`);
  const abs = resolve(dir);
  let p = abs;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!statSync(p).isDirectory()) throw new ReportDirError(`${what} ${dir}: ${p === abs ? 'is a file, not a folder' : `${p} is a file, not a folder`}`);
  const refused = (why: string): ReportDirError => new ReportDirError(`${what} ${dir}: ${p === abs ? `the folder is not writable (${why})` : `cannot create it: ${p} is not writable (${why})`}`);
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    throw refused('no write permission');
  }
  let probe: string;
  try {
    probe = mkdtempSync(join(p, '.sextant-report-probe-'));
  } catch (e) {
    throw refused(`a folder cannot be made in it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  rmSync(probe, { recursive: true, force: true });
}

/**
 * Creates `dir` and the folders above it that are missing, one `mkdir` at a time: Node 20's
 * `mkdirSync(dir, { recursive: true })` loops for ever where mkdir answers ENOENT under a parent
 * that exists (`/proc/x` as root); this throws that error instead.
 */
export function makeReportDir(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      if (!((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p).isDirectory())) throw e;
    }
  }
}

/**
 * Writes a report's files into `dir` (created if need be), each first under a temporary name and
 * then renamed over the old one: an interrupted run (Ctrl-C, a full disk) leaves the previous
 * report whole, never a truncated file or a new JSON beside an old HTML.
 */
export function writeReportFiles(dir: string, files: readonly Readonly<{ name: string; content: string }>[]): string[] {
  makeReportDir(dir);
  const tmp = files.map((f) => ({ final: join(dir, f.name), temp: join(dir, `.${f.name}.${process.pid}.tmp`), content: f.content }));
  try {
    for (const f of tmp) writeFileSync(f.temp, f.content);
  } catch (e) {
    for (const f of tmp) rmSync(f.temp, { force: true });
    throw e;
  }
  for (const f of tmp) renameSync(f.temp, f.final);
  return tmp.map((f) => f.final);
}
