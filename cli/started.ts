import type { Logger } from '../state/logger.js';

/** What a command opened so far (connections, its namespace claim, the engine, the gateway), oldest first. */
export type Started = { what: string; close(): Promise<void> | void }[];

/**
 * Closes what was started, newest first, and empties the list; returns what it closed, in that
 * order. A close that fails is logged (`closing <what> <when>`), not thrown over the failure or
 * the signal that ended the command.
 *
 * @example const started: Started = []; … } catch (e) { await closeStarted(started, log, 'after a failed start-up'); throw e; }
 */
export async function closeStarted(started: Started, log: Logger, when: string): Promise<string[]> {
  const closed: string[] = [];
  for (const s of started.splice(0).reverse()) {
    try {
      await s.close();
      closed.push(s.what);
    } catch (e) {
      log.warn({ err: String(e) }, `closing ${s.what} ${when}`);
    }
  }
  return closed;
}
