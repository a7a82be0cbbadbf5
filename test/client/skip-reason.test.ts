import { describe, expectTypeOf, it } from 'vitest';
import type { ExpiredMeta, ExpiredReason, ExpiryOptions, ExpiryReason, SkipMeta, SkipReason } from '../../client/mod.js';
import type { DeliveryMeta } from '../../client/mod.js';

/**
 * `sextant/client` exported `ExpiredReason` (why `subscribeOrders` skipped an order) beside
 * `ExpiryReason` (why an order stopped working at its venue): one letter apart, easy to take one
 * for the other; and the meta of a skip, `ExpiredMeta`, read as an `exec.expired`'s. Checked by
 * the type-check (`npm run typecheck`), not at run time.
 */
describe('sextant/client: the reason an order was skipped', () => {
  it('is SkipReason, apart from an exec.expired\'s ExpiryReason; ExpiredReason stays as its deprecated alias', () => {
    expectTypeOf<SkipReason>().toEqualTypeOf<'expired' | 'minTimeLeftMs'>();
    expectTypeOf<SkipMeta['reason']>().toEqualTypeOf<SkipReason>();
    expectTypeOf<ExpiredReason>().toEqualTypeOf<SkipReason>(); // desk code written against the old name still compiles
    expectTypeOf<ExpiryReason>().toEqualTypeOf<'ttl' | 'gap' | 'venue'>();
  });

  it('comes with SkipMeta, what onExpired is told; ExpiredMeta stays as its deprecated alias', () => {
    expectTypeOf<SkipMeta>().toMatchTypeOf<DeliveryMeta>();
    expectTypeOf<SkipMeta['timeLeftMs']>().toEqualTypeOf<number>();
    expectTypeOf<Parameters<NonNullable<ExpiryOptions['onExpired']>>[2]>().toEqualTypeOf<SkipMeta>();
    expectTypeOf<ExpiredMeta>().toEqualTypeOf<SkipMeta>(); // desk code written against the old name still compiles
  });
});
