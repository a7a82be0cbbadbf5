import { z } from 'zod';

export const OrderSideSchema = z.enum(['buy', 'sell']);
export type OrderSide = z.infer<typeof OrderSideSchema>;

/** +1 for buy, -1 for sell: the sign of the position change. */
export const sideSign = (side: OrderSide): 1 | -1 => (side === 'buy' ? 1 : -1);
