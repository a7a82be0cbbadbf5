import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { Logger } from '../state/logger.js';

/** A pino logger behind our Logger port; logs go to stderr so stdout stays for results. */
export function createLogger(level: string): Logger {
  const p = pino({ level, base: undefined }, pino.destination(2));
  const wrap = (l: PinoLogger): Logger => ({
    debug: (f, m) => l.debug(f, m),
    info: (f, m) => l.info(f, m),
    warn: (f, m) => l.warn(f, m),
    error: (f, m) => l.error(f, m),
    child: (b) => wrap(l.child(b)),
  });
  return wrap(p);
}
