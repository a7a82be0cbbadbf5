import { FeatureEngine } from './feature-engine.js';
import type { FeatureEngineState } from './feature-engine.js';
import type { BarInput, QuoteInput, TradeInput } from './inputs.js';

/**
 * Plain JSON, part of the asset actor's snapshot. `engine` takes the ticks and the bars of `tf`
 * (absent before the first bar, and in snapshots written before timeframes were told apart);
 * `others` holds an engine per other bar timeframe.
 */
export type TimeframeEnginesState = Readonly<{
  engine: FeatureEngineState;
  tf?: string;
  others?: Readonly<Record<string, FeatureEngineState>>;
}>;

/**
 * The features of one asset whose stream carries bars of several timeframes (live, the gateway
 * publishes 1m and 1h bars by default): one {@link FeatureEngine} per timeframe, so an SMA-20 of
 * 1h bars is over twenty 1h bars, as training computes it, and not over whatever minutes came
 * between. Ticks go to every engine: each bar's vector carries the asset's current microstructure
 * features. The first timeframe seen is the primary one: its engine existed from the start (it has
 * every tick), it answers for the ticks' vectors, and an engine made later for another timeframe
 * starts from its tick features. With one timeframe this is exactly one FeatureEngine.
 */
export class TimeframeEngines {
  private tf: string | undefined;
  private readonly byTf = new Map<string, FeatureEngine>();
  /** The engines of `others`, for the tick loop. */
  private readonly extra: FeatureEngine[] = [];

  private constructor(readonly primary: FeatureEngine) {}

  static create(): TimeframeEngines {
    return new TimeframeEngines(new FeatureEngine());
  }

  /** Feeds `bar` to the engine of its timeframe (made on its first bar) and returns that engine. */
  onBar(bar: BarInput & Readonly<{ tf: string }>): FeatureEngine {
    const e = this.engineFor(bar.tf);
    e.onBar(bar);
    return e;
  }

  onTrade(t: TradeInput): void {
    this.primary.onTrade(t);
    const extra = this.extra;
    for (let i = 0; i < extra.length; i++) (extra[i] as FeatureEngine).onTrade(t);
  }

  onQuote(q: QuoteInput): void {
    this.primary.onQuote(q);
    const extra = this.extra;
    for (let i = 0; i < extra.length; i++) (extra[i] as FeatureEngine).onQuote(q);
  }

  /** Every engine has all its bar features. */
  warm(): boolean {
    return this.primary.warm() && this.extra.every((e) => e.warm());
  }

  private engineFor(tf: string): FeatureEngine {
    if (this.tf === undefined) this.tf = tf;
    if (tf === this.tf) return this.primary;
    let e = this.byTf.get(tf);
    if (e === undefined) {
      e = this.primary.withTicksOnly();
      this.add(tf, e);
    }
    return e;
  }

  private add(tf: string, e: FeatureEngine): void {
    this.byTf.set(tf, e);
    this.extra.push(e);
  }

  toState(): TimeframeEnginesState {
    const engine = this.primary.toState();
    if (this.tf === undefined) return { engine };
    if (this.byTf.size === 0) return { engine, tf: this.tf };
    const others: Record<string, FeatureEngineState> = {};
    for (const [tf, e] of this.byTf) others[tf] = e.toState();
    return { engine, tf: this.tf, others };
  }

  static fromState(s: TimeframeEnginesState): TimeframeEngines {
    const t = new TimeframeEngines(FeatureEngine.fromState(s.engine));
    t.tf = s.tf;
    for (const [tf, state] of Object.entries(s.others ?? {})) t.add(tf, FeatureEngine.fromState(state));
    return t;
  }
}
