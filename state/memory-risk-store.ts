import type { RiskStore, StoredRisk } from './risk-store.js';
import { tradingSeq } from './risk-store.js';

/**
 * The risk store in memory, for backtests and the embedded demo. Values are copied in and out
 * (as JSON, like the PostgreSQL adapter), so a caller's later mutation never leaks into it.
 */
export function createMemoryRiskStore(): RiskStore {
  const accounts = new Map<string, { limits?: string; trading?: string; book?: string }>();
  const row = (a: string): { limits?: string; trading?: string; book?: string } => {
    let r = accounts.get(a);
    if (r === undefined) accounts.set(a, (r = {}));
    return r;
  };
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('risk store is closed');
  };
  return {
    label: 'the in-memory risk store',
    load: async (account) => {
      open();
      const r = accounts.get(account) ?? {};
      const out: { -readonly [K in keyof StoredRisk]?: unknown } = {};
      if (r.limits !== undefined) out.limits = JSON.parse(r.limits) as unknown;
      if (r.trading !== undefined) out.trading = JSON.parse(r.trading) as unknown;
      if (r.book !== undefined) out.book = JSON.parse(r.book) as unknown;
      return out;
    },
    saveLimits: async (account, limits) => {
      open();
      row(account).limits = JSON.stringify(limits);
    },
    saveTrading: async (account, trading) => {
      open();
      const r = row(account);
      if (r.trading !== undefined && tradingSeq(JSON.parse(r.trading)) > tradingSeq(trading)) return; // a newer state is stored
      r.trading = JSON.stringify(trading);
    },
    saveBook: async (account, book) => {
      open();
      row(account).book = JSON.stringify(book);
    },
    clear: async (account) => {
      open();
      accounts.delete(account);
    },
    close: async () => {
      closed = true;
    },
  };
}
