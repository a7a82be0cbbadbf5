import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A report folder that cannot be written; the message names the folder and why. Not retryable. */
export class ReportDirError extends Error {
  override readonly name = 'ReportDirError';
  readonly retryable = false;
}

/**
 * Refuses, before any work, a report folder that could not be written at the end: a path that is
 * empty, a file, or lies under one, or whose nearest existing folder is not writable. A backtest found
 * this only after training and replaying (`EEXIST: file already exists, mkdir …`). Creates nothing.
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
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    throw new ReportDirError(`${what} ${dir}: ${p === abs ? 'the folder is not writable' : `cannot create it: ${p} is not writable`}`);
  }
}

/**
 * Writes a report's files into `dir` (created if need be), each first under a temporary name and
 * then renamed over the old one: an interrupted run (Ctrl-C, a full disk) leaves the previous
 * report whole, never a truncated file or a new JSON beside an old HTML.
 */
export function writeReportFiles(dir: string, files: readonly Readonly<{ name: string; content: string }>[]): string[] {
  mkdirSync(dir, { recursive: true });
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
