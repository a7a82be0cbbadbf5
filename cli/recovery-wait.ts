/** How a wait for the decision path's recovery after a restart ended. */
export type RecoveryWait = 'recovered' | 'timed out' | 'stopped';

/**
 * Waits for the decision path's recovery after a restart (`DecisionPath.recovered`: the events
 * decided and published before the crash decided again, the operator's pending changes in force),
 * at most `ms` (wall clock: how long a caller may be kept waiting, not event time), or until
 * `stopped` settles. Resolves at once when there is nothing to recover.
 */
export async function waitForRecovery(recovered: () => Promise<void>, ms: number, stopped?: Promise<void>): Promise<RecoveryWait> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race<RecoveryWait>([
      recovered().then(() => 'recovered' as const),
      new Promise<RecoveryWait>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), ms);
      }),
      ...(stopped === undefined ? [] : [stopped.then(() => 'stopped' as const)]),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
