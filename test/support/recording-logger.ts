import type { Logger } from '../../state/logger.js';

/** One line a {@link recordingLogger} kept: its level, fields (with the child loggers' bindings) and message. */
export type LogLine = Readonly<{ level: string; fields: Record<string, unknown>; msg: string }>;

/** A logger that keeps every line (with its child bindings) in `lines`, to read back what would be written. */
export function recordingLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, fields: { ...bindings, ...fields }, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => recordingLogger(lines, { ...bindings, ...b }) };
}
