import type { Prediction } from '../../../../streams/messages/prediction.js';
import { predictedClass } from '../prediction-class.js';
import { attributionsText, modelText } from '../prediction-view.js';
import { el, fmt } from '../dom.js';
import { RecentList } from './recent-list.js';
import { VenueCells } from './venue-cell.js';

/** The newest predictions: class probabilities, expected return with its 80% interval, intent, the model and the top feature attributions; the symbol named with its venue once predictions of more than one venue came (`venue-cell.ts`). */
export class PredictionsPanel {
  private readonly list = new RecentList('predictions', 'Predictions', ['time (UTC)', 'symbol', 'class', 'p(down/flat/up)', 'E[r] (80%)', 'intent', 'model', 'top features (bp of E[r])'], new Set([3, 4]));
  readonly root = this.list.root;
  private readonly symbols = new VenueCells(this.root);

  add(p: Prediction): void {
    const cls = predictedClass(p);
    const bps = (x: number): string => `${(x * 10_000).toFixed(1)}`;
    this.list.add(
      p.id,
      p.ts,
      [
        fmt.time(p.ts),
        this.symbols.cell(p.venue, p.symbol),
        el('span', { class: `cls cls-${cls}` }, cls === 'up' ? '▲ up' : cls === 'down' ? '▼ down' : '• flat'),
        `${fmt.pct(p.probs.down)} / ${fmt.pct(p.probs.flat)} / ${fmt.pct(p.probs.up)}`,
        `${bps(p.expectedReturn)} bp [${bps(p.interval80[0])}, ${bps(p.interval80[1])}]`,
        p.intent === null ? '–' : fmt.num(p.intent.target),
        modelText(p.model),
        attributionsText(p.attributions),
      ],
      `pred-${cls}`,
    );
  }
}
