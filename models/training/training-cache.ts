import { createHash } from 'node:crypto';
import type { NewModelVersion } from '../registry/model-registry.js';
import type { SymbolBars } from './bar-dataset.js';
import { canonicalJson } from './config-hash.js';

/**
 * A trained model kept for reuse: what was registered (less its parent, which is the registry's
 * own at the time), the ONNX bytes, and the training report's figures.
 */
export type CachedTraining<R> = Readonly<{
  model: Omit<NewModelVersion, 'parentVersion'>;
  artifact: Uint8Array;
  report: R;
}>;

/**
 * Trained models by what decided them. Training is deterministic (seeded, single-threaded
 * kernels): the same bars, settings and training code give the same model byte for byte, so a
 * backtest, walk-forward or `sextant train` run that repeats one reuses it instead of training
 * it again. `revision` names the training code and libraries the entries were made with (a
 * change to either is a different key); `where` says where they are kept, for the notes.
 */
export interface TrainingCache {
  readonly revision: string;
  readonly where: string;
  get<R>(key: string): Promise<CachedTraining<R> | undefined>;
  put<R>(key: string, entry: CachedTraining<R>): Promise<void>;
}

/** sha256 over every bar's time and prices, per symbol in order: two loads of the same data agree. */
export function barsDigest(bars: readonly SymbolBars[]): string {
  const h = createHash('sha256');
  const row = new Float64Array(6);
  const bytes = new Uint8Array(row.buffer);
  for (const s of bars) {
    h.update(`${s.symbol}\n${s.bars.length}\n`);
    for (const b of s.bars) {
      row[0] = b.ts;
      row[1] = b.open;
      row[2] = b.high;
      row[3] = b.low;
      row[4] = b.close;
      row[5] = b.volume;
      h.update(bytes);
    }
  }
  return h.digest('hex');
}

/** The entry's key: the kind of training, the cache's code revision, the settings (resolved) and what the bars hold. */
export function trainingCacheKey(kind: string, revision: string, settings: unknown, bars: readonly SymbolBars[]): string {
  return createHash('sha256').update(canonicalJson({ kind, revision, settings, bars: barsDigest(bars) })).digest('hex');
}
