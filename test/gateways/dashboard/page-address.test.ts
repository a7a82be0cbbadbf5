import { describe, expect, it } from 'vitest';
import { addressWithoutToken } from '../../../gateways/dashboard/src/page-address.js';

describe('dashboard address without the viewer token', () => {
  it('drops ?token= and keeps the path, the other parameters and the hash', () => {
    expect(addressWithoutToken('http://127.0.0.1:8080/?token=secret')).toBe('/');
    expect(addressWithoutToken('http://h:8080/?token=secret&symbols=BTC-USDT,ETH-USDT#risk')).toBe('/?symbols=BTC-USDT%2CETH-USDT#risk');
    expect(addressWithoutToken('http://h/dash/?symbols=BTC-USDT&token=')).toBe('/dash/?symbols=BTC-USDT');
  });

  it('leaves an address without a token alone', () => {
    expect(addressWithoutToken('http://h:8080/?symbols=BTC-USDT')).toBeUndefined();
    expect(addressWithoutToken('http://h:8080/')).toBeUndefined();
  });
});
