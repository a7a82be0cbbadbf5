import { describe, expect, it } from 'vitest';
import { runGateway } from '../../cli/commands/gateway.js';

// Only the argument check, made before the gateway reaches NATS or an exchange.
describe('sextant gateway --symbols', () => {
  it('hints the configured spelling of a symbol given in another case or separator', async () => {
    await expect(runGateway({ symbols: ['btc/usdt'] })).rejects.toThrow('not configured assets: btc/usdt (add them under assets: in the config); did you mean BTC/USDT?');
    await expect(runGateway({ symbols: ['BTC/USDT', 'eth-usdt', 'DOGE/USDT'] })).rejects.toThrow(
      'not configured assets: eth-usdt, DOGE/USDT (add them under assets: in the config); did you mean ETH/USDT (for eth-usdt)?',
    );
  });

  it('gives no hint for a symbol that is not configured in any spelling', async () => {
    await expect(runGateway({ symbols: ['DOGE/USDT'] })).rejects.toThrow(/^not configured assets: DOGE\/USDT \(add them under assets: in the config\)$/);
  });
});
