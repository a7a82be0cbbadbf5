import { describe, expect, it } from 'vitest';
import { disconnectReason, SERVER_CLOSED } from '../../streams/nats-disconnect-cause.js';

const sysError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('disconnectReason (why a NATS link dropped, for the log and the outage)', () => {
  it('says the server closed the connection when neither the socket nor the server said why', () => {
    expect(SERVER_CLOSED).toBe('server closed the connection');
    expect(disconnectReason(undefined, undefined)).toBe(SERVER_CLOSED);
  });

  it("says the server closed it, with the code, for the client's write that met the closed socket (EPIPE)", () => {
    expect(disconnectReason(sysError('write EPIPE', 'EPIPE'), undefined)).toBe('server closed the connection (write EPIPE)');
  });

  it("prefers the server's -ERR to a clean close or EPIPE after it", () => {
    expect(disconnectReason(undefined, "'Authorization Violation'")).toBe("'Authorization Violation'");
    expect(disconnectReason(sysError('write EPIPE', 'EPIPE'), "'Stale Connection'")).toBe("'Stale Connection'");
  });

  it("keeps any other socket error as it is (a dropped network path)", () => {
    expect(disconnectReason(sysError('read ECONNRESET', 'ECONNRESET'), undefined)).toBe('read ECONNRESET');
    expect(disconnectReason(sysError('read ECONNRESET', 'ECONNRESET'), "'Stale Connection'")).toBe('read ECONNRESET');
  });
});
