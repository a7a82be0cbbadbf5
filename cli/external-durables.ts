import type { Config } from '../config/schema.js';

/**
 * The durable consumers of what live trading consumers report (the paper venue off), one of each
 * per account. Named here once: the engine creates them (cli/external-fills.ts, cli/external-expiries.ts)
 * and its status feed reads their lag by these names (cli/engine-status-feed.ts), so a rename of one
 * cannot leave the other reading a consumer that does not exist.
 */

/** Fills (`sx.exec.fill.>`) of the account's orders. */
export const fillsDurable = (cfg: Config): string => `fills_${cfg.risk.account}`;

/** Expiries (`sx.exec.expired.>`) of the account's orders. */
export const expiriesDurable = (cfg: Config): string => `expired_${cfg.risk.account}`;
