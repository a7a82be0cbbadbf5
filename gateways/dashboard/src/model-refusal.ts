import type { ActorStatus } from './topics.js';

/** `name@version` (the decision actor's `model`) as the models panel writes a model: `name vN`. */
const asServed = (ref: string): string => {
  const at = ref.lastIndexOf('@');
  return at <= 0 ? ref : `${ref.slice(0, at)} v${ref.slice(at + 1)}`;
};

/**
 * What the models panel says beside the served model while the decision actor refuses the version
 * its alias was promoted to (one it cannot serve: other bars, features it does not compute, or one
 * that does not load): the alias table then names that version while the engine keeps serving its
 * own, and this line says why. Null while the engine serves what the alias names. No DOM:
 * unit-tested under Node.
 *
 * @example refusedPromotionLine({ …, model: 'direction-mlp@1', modelRefused: { name: 'direction-mlp', version: 7, alias: 'production', reason: 'it was trained on 5m bars; this engine decides on 1h bars' } })
 * // 'Refused direction-mlp v7 (direction-mlp@production names it): it was trained on 5m bars; this engine decides on 1h bars — still serving direction-mlp v1'
 */
export function refusedPromotionLine(a: ActorStatus): string | null {
  const r = a.modelRefused;
  if (r === undefined) return null;
  const alias = r.alias === null ? '' : ` (${r.name}@${r.alias} names it)`;
  const serving = a.model === undefined ? '' : ` — still serving ${asServed(a.model)}`;
  return `Refused ${r.name} v${r.version}${alias}: ${r.reason}${serving}`;
}
