import { EventEmitter } from 'node:events';
import type { SignalSource } from '../../cli/stop-signals.js';

/** A stand-in for `process`: emits a signal as Node does, with its name. */
export function fakeProcess(): SignalSource & { send(s: 'SIGINT' | 'SIGTERM'): void; listeners(): number } {
  const e = new EventEmitter();
  return {
    on: (ev, l) => e.on(ev, l),
    off: (ev, l) => e.off(ev, l),
    send: (s) => void e.emit(s, s),
    listeners: () => e.listenerCount('SIGINT') + e.listenerCount('SIGTERM'),
  };
}
