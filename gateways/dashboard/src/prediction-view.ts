import type { Prediction } from '../../../streams/messages/prediction.js';

/** The model a prediction came from, as the actors panel writes it: `name@version`. */
export function modelText(m: Prediction['model']): string {
  return `${m.name}@${m.version}`;
}

/**
 * The prediction's largest feature attributions (its change in expected return when the feature
 * is replaced by its running baseline), by size, signed, in bp as the E[r] column: `rsi_14 -12.3 ·
 * vol_24 +5.1`. No DOM: unit-tested under Node. The page showed none of them.
 */
export function attributionsText(attributions: Prediction['attributions'], top = 3): string {
  if (attributions.length === 0) return '–';
  return [...attributions]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top)
    .map((a) => {
      const bp = a.contribution * 10_000;
      return `${a.feature} ${bp < 0 ? '-' : '+'}${Math.abs(bp).toFixed(1)}`;
    })
    .join(' · ');
}
