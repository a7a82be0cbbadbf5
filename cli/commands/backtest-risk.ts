import type { RiskTransition } from '../../models/risk/risk-over-window.js';
import type { CoreSubscriber } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';

export type RiskStateLog = Readonly<{
  /** Every trading-state change announced so far, in order, for the report. */
  transitions(): readonly RiskTransition[];
  /**
   * Stops listening; throws if a message could not be read (a bad one is kept, not thrown inside
   * the risk actor's publish, where it would surface as a failure of the decision path).
   */
  close(): void;
}>;

/** Listens to the risk actor's trading-state announcements (core `sx.risk.state`) on `bus`. */
export function logRiskStates(bus: CoreSubscriber, subject: string): RiskStateLog {
  const transitions: RiskTransition[] = [];
  const unreadable: string[] = [];
  const sub = bus.subscribe(subject, (_subject, data) => {
    try {
      const s = RiskStateSchema.parse(JSON.parse(decodeText(data)));
      transitions.push({ at: new Date(s.ts).toISOString(), state: s.state, previous: s.previous, reason: s.reason });
    } catch (e) {
      unreadable.push(`${decodeText(data).slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return {
    transitions: () => transitions,
    close: () => {
      sub.unsubscribe();
      if (unreadable.length > 0) throw new Error(`${unreadable.length} unreadable trading-state message(s) on ${subject}, the first: ${unreadable[0]}`);
    },
  };
}
