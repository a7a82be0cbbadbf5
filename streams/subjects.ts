/**
 * Every subject Sextant publishes or consumes is built here; nobody concatenates subject strings
 * elsewhere. Symbols become one token: the ccxt unified symbol with `/` → `-` and `:` → `_`.
 *
 * @example subjectsFor('sx').trade('binance', 'BTC/USDT') // 'sx.md.binance.BTC-USDT.trade'
 */
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

export class SubjectError extends Error {
  override readonly name = 'SubjectError';
}

/** Tokens of the symbols seen so far: every output of every bar names its asset's subject. Bounded. */
const symbolTokens = new Map<string, string>();
const MAX_CACHED = 4096;

/** `BTC/USDT` → `BTC-USDT`, `BTC/USDT:USDT` → `BTC-USDT_USDT`. */
export function symbolToken(symbol: string): string {
  const cached = symbolTokens.get(symbol);
  if (cached !== undefined) return cached;
  const token = symbol.replaceAll('/', '-').replaceAll(':', '_');
  if (!TOKEN_RE.test(token)) throw new SubjectError(`symbol ${JSON.stringify(symbol)} cannot be a subject token`);
  if (symbolTokens.size >= MAX_CACHED) symbolTokens.clear();
  symbolTokens.set(symbol, token);
  return token;
}

/** Inverse of {@link symbolToken}: `BTC-USDT_USDT` → `BTC/USDT:USDT`. */
export function tokenToSymbol(token: string): string {
  if (!TOKEN_RE.test(token)) throw new SubjectError(`${JSON.stringify(token)} is not a symbol token`);
  const [pair = '', settle] = token.split('_', 2);
  const symbol = pair.replace('-', '/');
  return settle === undefined ? symbol : `${symbol}:${settle}`;
}

export function venueToken(venue: string): string {
  if (!TOKEN_RE.test(venue) || venue.includes('_')) throw new SubjectError(`venue ${JSON.stringify(venue)} is not a subject token`);
  return venue;
}

export type Subjects = ReturnType<typeof subjectsFor>;

/**
 * Why no subject can name this venue and symbol (and strategy) (a message schema takes any short string for
 * them; the subjects need tokens), or undefined when they can. Inputs that would fail every
 * publish of their outputs are refused with this at the edge instead of retried forever.
 */
export function unroutableAsset(subjects: Subjects, venue: string, symbol: string, strategy?: string): string | undefined {
  if (strategy !== undefined && !TOKEN_RE.test(strategy)) return `strategy ${JSON.stringify(strategy)} is not a subject token`;
  try {
    subjects.fill(venue, symbol);
    return undefined;
  } catch (e) {
    if (e instanceof SubjectError) return e.message;
    throw e;
  }
}

export function subjectsFor(prefix = 'sx') {
  const p = prefix;
  // `<venue>.<symbol token>` per asset, made once: checked and joined again for every output otherwise.
  const assetTokens = new Map<string, Map<string, string>>();
  let cachedAssets = 0;
  const vs = (venue: string, symbol: string): string => {
    let bySymbol = assetTokens.get(venue);
    const hit = bySymbol?.get(symbol);
    if (hit !== undefined) return hit;
    const joined = `${venueToken(venue)}.${symbolToken(symbol)}`;
    if (cachedAssets >= MAX_CACHED) {
      assetTokens.clear();
      cachedAssets = 0;
      bySymbol = undefined;
    }
    if (bySymbol === undefined) assetTokens.set(venue, (bySymbol = new Map()));
    bySymbol.set(symbol, joined);
    cachedAssets++;
    return joined;
  };
  return {
    prefix: p,
    trade: (venue: string, symbol: string) => `${p}.md.${vs(venue, symbol)}.trade`,
    quote: (venue: string, symbol: string) => `${p}.md.${vs(venue, symbol)}.quote`,
    bar: (venue: string, symbol: string, tf: string) => `${p}.md.${vs(venue, symbol)}.bar.${tf}`,
    /** All market data of one asset: `sx.md.<venue>.<sym>.>` */
    marketData: (venue: string, symbol: string) => `${p}.md.${vs(venue, symbol)}.>`,
    allMarketData: () => `${p}.md.>`,
    /** A market-data feed's status (core NATS, outside `md.>` so the MD stream does not keep it): `sx.mdstatus.<venue>.<sym>` */
    feedStatus: (venue: string, symbol: string) => `${p}.mdstatus.${vs(venue, symbol)}`,
    allFeedStatus: () => `${p}.mdstatus.>`,
    features: (venue: string, symbol: string) => `${p}.feat.${vs(venue, symbol)}`,
    allFeatures: () => `${p}.feat.>`,
    prediction: (strategy: string, venue: string, symbol: string) => `${p}.pred.${strategy}.${vs(venue, symbol)}`,
    /** Predictions of every strategy and asset: `sx.pred.>` */
    allPredictions: () => `${p}.pred.>`,
    suggestion: (strategy: string, venue: string, symbol: string) => `${p}.exec.suggest.${strategy}.${vs(venue, symbol)}`,
    order: (strategy: string, venue: string, symbol: string) => `${p}.exec.order.${strategy}.${vs(venue, symbol)}`,
    /** Approved orders of every strategy and asset: `sx.exec.order.>` */
    allOrders: () => `${p}.exec.order.>`,
    reject: (strategy: string, venue: string, symbol: string) => `${p}.exec.reject.${strategy}.${vs(venue, symbol)}`,
    fill: (venue: string, symbol: string) => `${p}.exec.fill.${vs(venue, symbol)}`,
    /** Fills of every venue and symbol: `sx.exec.fill.>` */
    allFills: () => `${p}.exec.fill.>`,
    /** An order the venue works no more, quantity left (expired, cancelled): `sx.exec.expired.<venue>.<sym>` */
    expired: (venue: string, symbol: string) => `${p}.exec.expired.${vs(venue, symbol)}`,
    /** Expiries of every venue and symbol: `sx.exec.expired.>` */
    allExpired: () => `${p}.exec.expired.>`,
    outcome: (strategy: string, venue: string, symbol: string) => `${p}.outcome.${strategy}.${vs(venue, symbol)}`,
    label: (strategy: string, venue: string, symbol: string) => `${p}.label.${strategy}.${vs(venue, symbol)}`,
    model: (name: string, event: string) => `${p}.model.${name}.${event}`,
    riskState: () => `${p}.risk.state`,
    /** Core request/reply: a running engine answers who it is, so a second one in the namespace refuses to start (cli/engine-presence.ts). */
    enginePresence: () => `${p}.engine.presence`,
    control: (verb: string) => `${p}.ctl.${verb}`,
    dlq: (source: string) => `${p}.dlq.${source}`,
    allDlq: () => `${p}.dlq.>`,
    /** Subjects captured by each JetStream stream of the design. */
    streamSubjects: {
      MD: [`${p}.md.>`],
      SIGNALS: [`${p}.pred.>`, `${p}.exec.>`],
      OUTCOMES: [`${p}.outcome.>`, `${p}.label.>`, `${p}.model.>`],
      DLQ: [`${p}.dlq.>`],
    },
    /** Parses `sx.md.<venue>.<sym>.<kind>[.<tf>]`; undefined when the subject is not market data. */
    parseMarketData(subject: string): { venue: string; symbol: string; kind: 'trade' | 'quote' | 'bar'; tf?: string } | undefined {
      const parts = subject.split('.');
      if (parts.length < 5 || parts[0] !== p || parts[1] !== 'md') return undefined;
      const [, , venue = '', token = '', kind, tf] = parts;
      if (kind === 'trade' || kind === 'quote') return parts.length === 5 ? { venue, symbol: tokenToSymbol(token), kind } : undefined;
      if (kind === 'bar' && tf !== undefined && parts.length === 6) return { venue, symbol: tokenToSymbol(token), kind, tf };
      return undefined;
    },
  } as const;
}
