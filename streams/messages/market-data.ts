import type { Bar } from './bar.js';
import { TIMEFRAME_MS } from './bar.js';
import type { Quote } from './quote.js';
import type { Trade } from './trade.js';

export type MarketData = Trade | Quote | Bar;

/** When a message's data is known: a bar at its close (it is stamped with its open time), a tick at its own time. */
export const knownAt = (md: MarketData): number => (md.type === 'md.bar' ? md.ts + TIMEFRAME_MS[md.tf] : md.ts);
