import type { AuditEntry, AuditStore } from './audit-store.js';

/** The audit trail in memory, for the embedded demo and backtests (nothing survives the process). */
export function createMemoryAuditStore(): AuditStore {
  const entries: AuditEntry[] = [];
  return {
    record: async (entry) => {
      entries.push(structuredClone(entry));
    },
    recent: async (limit) => entries.slice(-limit).reverse(),
    close: async () => {},
  };
}
