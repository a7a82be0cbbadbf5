import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runGateway } from '../../cli/commands/gateway.js';

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
const deadPort = (): Promise<number> =>
  new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });

/**
 * `sextant gateway --provider twelvedata` without SEXTANT_MARKET_DATA_API_KEY connected to NATS
 * and created the streams, and only then said the key was missing. The provider's configuration is
 * now checked first: with NATS out of reach the error is still the provider's.
 */
describe('sextant gateway: provider configuration before NATS', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('says a twelvedata API key is missing without reaching NATS', async () => {
    vi.stubEnv('NATS_URL', `nats://127.0.0.1:${await deadPort()}`);
    vi.stubEnv('SEXTANT_MARKET_DATA_API_KEY', '');
    await expect(runGateway({ provider: 'twelvedata' })).rejects.toThrow('twelvedata needs an API key in $SEXTANT_MARKET_DATA_API_KEY');
  });

  it('says ccxt has no such exchange without reaching NATS', async () => {
    vi.stubEnv('NATS_URL', `nats://127.0.0.1:${await deadPort()}`);
    vi.stubEnv('SEXTANT__marketData__exchange', 'binanse');
    await expect(runGateway({ provider: 'ccxt' })).rejects.toThrow('ccxt has no exchange "binanse"');
  });
});
