/**
 * The logging port. The CLI injects a pino logger; tests inject a silent or recording one.
 * Structured: the first argument is an object of fields, the second the message.
 */
export type LogFn = (fields: Record<string, unknown>, msg: string) => void;

export type Logger = Readonly<{
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}>;

const noop: LogFn = () => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
