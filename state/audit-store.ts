/**
 * The operator audit trail: who asked what, when, and how it ended. Every control request is
 * written before its reply is sent, so an answered command is always on record.
 */
export type AuditEntry = Readonly<{
  requestId: string;
  operator: string;
  verb: string;
  args: unknown;
  outcome: 'ok' | 'error';
  /** The reply's result, or its error code and message. */
  detail: unknown;
  /** Milliseconds since the epoch (the engine's clock). */
  at: number;
}>;

export type AuditStore = {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<readonly AuditEntry[]>;
  close(): Promise<void>;
};
