import { z } from 'zod';
import { INBOX_PREFIX_RE, OPERATOR_INBOX_PREFIX } from '../../streams/nats-inbox.js';

/**
 * The `gateway:` section of the config: one HTTP server for /healthz, /readyz, /metrics, the
 * dashboard's static files, operator control (`POST /api/ctl/<verb>`) and the websocket feed
 * (`/ws`).
 *
 * Token values may name an environment variable with a default, `${SEXTANT_VIEWER_TOKEN:-dev}`,
 * expanded by {@link resolveGatewayTokens} when the gateway starts (config/default.yaml ships dev
 * defaults that must be replaced outside a workstation).
 */
/**
 * `viewer`: the websocket feed; `operator`: the feed and control (`POST /api/ctl/<verb>`); `metrics`:
 * `GET /metrics` only (Prometheus' `authorization: { credentials_file }`). While no `metrics` token is
 * configured `/metrics` is open; once one is, only a `metrics` token reads it (not a viewer's or an
 * operator's: a scraper's credential opens nothing else, and nothing else is needed to scrape).
 */
export const GatewayRoleSchema = z.enum(['viewer', 'operator', 'metrics']);
export type GatewayRole = z.infer<typeof GatewayRoleSchema>;

export const GatewayTokenSchema = z
  .object({
    /** Who the token belongs to: audited as `dashboard:<name>` for control commands. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1 to 64)'),
    token: z.string().min(1).max(512),
    role: GatewayRoleSchema,
  })
  .strict();
export type GatewayToken = z.infer<typeof GatewayTokenSchema>;

const positiveInt = z.number().int().positive();

export const GatewayConfigSchema = z
  .object({
    enabled: z.boolean(),
    host: z.string().min(1),
    /** 0 binds an ephemeral port (tests). */
    port: z.number().int().min(0).max(65_535),
    /** Served at `/` (index.html) and below; a relative path is taken from the repository root (cli/gateway-runtime.ts). */
    staticDir: z.string().min(1),
    tokens: z.array(GatewayTokenSchema),
    /** Exact `Origin` values (scheme://host[:port]) a browser may open the feed or send control from. */
    allowedOrigins: z.array(z.string().min(1)),
    /** Non-browser clients send no Origin: allowed unless this is false. */
    allowMissingOrigin: z.boolean(),
    maxClients: positiveInt,
    /** A client message larger than this closes the connection with 1009. */
    maxInboundBytes: positiveInt,
    /**
     * A token bucket per client: a burst of at most this many messages, refilled at this many per
     * second; a message with no token left closes the connection with 1008 "rate limit".
     */
    maxInboundPerSecond: positiveInt,
    /**
     * Past this many bytes waiting in a client's socket, its pending messages are queued: conflated
     * to the newest per slot, except `orders` (orders, rejects, fills), each of which is queued.
     */
    maxBufferedBytes: positiveInt,
    /**
     * A client over `maxBufferedBytes` that makes no progress for this long (no frame written to its
     * socket, no byte taken by it) is closed with 4008 "slow consumer"; one still reading is not,
     * however long its backlog (a long snapshot over a slow link) takes to drain.
     */
    slowCloseMs: positiveInt,
    /**
     * Frames a slow client may have queued (one per conflated slot of a state, one per order, reject or
     * fill) before it is closed with 4008; a subscribe's snapshot frames are not counted (bounded by
     * what the hub holds, `ordersSnapshotDepth` per `orders` slot). Default 10 000.
     */
    maxPendingFrames: positiveInt.optional(),
    /**
     * The old name of `maxPendingFrames` (it counted slots before orders, rejects and fills were each
     * queued): still read, with a warning when the gateway starts; setting both is refused.
     */
    maxPendingSlots: positiveInt.optional(),
    heartbeatMs: positiveInt,
    /**
     * Ids the feed remembers per kind (order, reject, fill, prediction) to drop what a restarted
     * engine publishes again under the same id: a republish older than this many ids is relayed twice.
     */
    recentIds: positiveInt.default(10_000),
    /**
     * The `orders` snapshot (what a client is sent on subscribe) holds the last this many orders and
     * rejects per strategy, venue and symbol, and fills per venue and symbol: a client that
     * resubscribes after a 4008 or a dropped link is sent what it missed of them. An approved order
     * pushed out by newer ones while the venue may still work it (no final fill, event time before
     * its `expiresAt`) stays in the snapshot until it is done, up to this many such orders per slot
     * (past that the oldest is let go, with a warning and `sextant_ws_orders_snapshot_dropped_total`).
     */
    ordersSnapshotDepth: positiveInt.max(10_000).default(100),
    /**
     * The `md` snapshot holds the last this many bars of each venue, symbol and timeframe (trades and
     * quotes: the newest only), so a dashboard opened after the bars went by draws them rather than a
     * single candle. A subscribe's snapshot frames do not count against `maxPendingFrames`.
     */
    mdSnapshotBars: positiveInt.max(10_000).default(200),
    /**
     * Failed authentications (401s of /api/ctl, the feed and a token-guarded /metrics) a client
     * address may make within `windowMs` (from its first) before its further failures are answered
     * 429, unlogged, until the window ends; a valid token always passes (`auth-failure-limiter.ts`).
     * Default 20 in 60 000 ms.
     */
    authFailureLimit: z.object({ maxFailures: positiveInt, windowMs: positiveInt }).strict().optional(),
    /** How long POST /api/ctl/<verb> waits for the engine's reply. */
    controlTimeoutMs: positiveInt.default(5000),
    /**
     * The NATS login the dashboard's control requests go out with, on a connection of their own
     * (deploy/nats/sextant.conf: `operator`, the only user that may publish `sx.ctl.>`; its
     * password from the environment, `SEXTANT__gateway__controlNats__password`). Unset: the
     * engine's connection, which a server with those permissions refuses. `inboxPrefix`: where the
     * engine's replies come in, `_INBOX_operator` (the operator user's own inboxes in that file).
     */
    controlNats: z
      .object({
        user: z.string().min(1),
        password: z.union([z.string(), z.number()]).transform(String).optional(),
        inboxPrefix: z.string().regex(INBOX_PREFIX_RE, 'must be subject tokens without wildcards or whitespace, e.g. _INBOX_operator').default(OPERATOR_INBOX_PREFIX),
      })
      .strict()
      .optional(),
    /** The engine's own state on the feed (`pnl`, `actors`): published on change, and all of it at least this often (default 1000). */
    statusIntervalMs: positiveInt.optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.maxPendingFrames !== undefined && g.maxPendingSlots !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['maxPendingSlots'],
        message: `the old name of maxPendingFrames: set maxPendingFrames only (both are set: maxPendingFrames ${g.maxPendingFrames}, maxPendingSlots ${g.maxPendingSlots})`,
      });
  })
  .transform(({ maxPendingFrames, maxPendingSlots, ...rest }) => ({
    ...rest,
    maxPendingFrames: maxPendingFrames ?? maxPendingSlots ?? 10_000,
    ...(maxPendingSlots !== undefined ? { renamed: [{ from: 'maxPendingSlots', to: 'maxPendingFrames' }] as readonly RenamedSetting[] } : {}),
  }));
/** `renamed`: the settings the config gave under an old name (read as the new one; the gateway warns at start, see {@link renamedSettingWarnings}). */
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** A setting given under its old, deprecated name. */
export type RenamedSetting = Readonly<{ from: string; to: string }>;

/**
 * The warning for each setting of the `gateway:` section given under an old name, logged when the
 * gateway starts (as the dev tokens' is).
 *
 * @example renamedSettingWarnings({ renamed: [{ from: 'maxPendingSlots', to: 'maxPendingFrames' }] }) // ['gateway.maxPendingSlots is deprecated: …']
 */
export function renamedSettingWarnings(gw: Pick<GatewayConfig, 'renamed'>): string[] {
  return (gw.renamed ?? []).map((r) => `gateway.${r.from} is deprecated: read as gateway.${r.to}; rename it in your config (or SEXTANT__gateway__${r.to} in the environment)`);
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\}$/s;

/**
 * Expands `${NAME:-default}` / `${NAME}` token values from the environment. A reference to an
 * unset variable without a default, or one that expands to nothing, drops the token (nobody can
 * log in with an empty secret).
 *
 * @example resolveGatewayTokens([{ name: 'viewer', role: 'viewer', token: '${SEXTANT_VIEWER_TOKEN:-dev}' }], {}) // token 'dev'
 */
export function resolveGatewayTokens(tokens: readonly GatewayToken[], env: NodeJS.ProcessEnv): GatewayToken[] {
  const out: GatewayToken[] = [];
  for (const t of tokens) {
    const m = ENV_REF.exec(t.token);
    const value = m === null ? t.token : (env[m[1] as string] ?? m[2] ?? '');
    if (value !== '') out.push({ ...t, token: value });
  }
  return out;
}

/** True when a token still holds a dev default from config/default.yaml (its env variable unset). */
export function usesDevDefault(token: GatewayToken, env: NodeJS.ProcessEnv): boolean {
  const m = ENV_REF.exec(token.token);
  return m !== null && env[m[1] as string] === undefined && m[2] !== undefined;
}
