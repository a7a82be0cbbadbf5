import type { Bar } from './bar.js';
import type { Quote } from './quote.js';
import type { Trade } from './trade.js';

export type MarketData = Trade | Quote | Bar;
