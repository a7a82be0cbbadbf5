import { z } from 'zod';

/** Why the risk actor refused a suggestion. Machine-readable; a reject may carry several. */
export const RiskReason = {
  SYMBOL_NOT_ALLOWED: 'SYMBOL_NOT_ALLOWED',
  MAX_ORDER_QTY: 'MAX_ORDER_QTY',
  MAX_ORDER_NOTIONAL: 'MAX_ORDER_NOTIONAL',
  MIN_ORDER_NOTIONAL: 'MIN_ORDER_NOTIONAL',
  PRICE_COLLAR: 'PRICE_COLLAR',
  POSITION_LIMIT: 'POSITION_LIMIT',
  GROSS_EXPOSURE: 'GROSS_EXPOSURE',
  ORDER_RATE: 'ORDER_RATE',
  STALE_MARKET_DATA: 'STALE_MARKET_DATA',
  NO_MARKET_DATA: 'NO_MARKET_DATA',
  DUPLICATE_SUGGESTION: 'DUPLICATE_SUGGESTION',
  DAILY_LOSS: 'DAILY_LOSS',
  DRAWDOWN: 'DRAWDOWN',
  HALTED: 'HALTED',
  REDUCING_ONLY: 'REDUCING_ONLY',
  INVALID_SUGGESTION: 'INVALID_SUGGESTION',
} as const;
export type RiskReason = (typeof RiskReason)[keyof typeof RiskReason];
export const RiskReasonSchema = z.enum(Object.values(RiskReason) as [RiskReason, ...RiskReason[]]);
