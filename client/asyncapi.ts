import { stringify } from 'yaml';
import { z } from 'zod';
import { ModelEventKindSchema } from '../streams/messages/model-event.js';
import { TIMEFRAMES } from '../streams/messages/bar.js';
import { subjectsFor } from '../streams/subjects.js';
import { channelSpecs, PLACEHOLDERS } from './asyncapi-channels.js';
import type { ChannelSpec, ParamName } from './asyncapi-channels.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const PARAMETERS: Readonly<Record<ParamName, Obj>> = {
  venue: { description: 'Venue id (the ccxt exchange id), e.g. `binance`.', examples: ['binance'] },
  sym: { description: 'Symbol token: the ccxt unified symbol with `/` → `-` and `:` → `_`.', examples: ['BTC-USDT', 'BTC-USDT_USDT'] },
  strategy: { description: 'Strategy name (config `strategy.name`).', examples: ['alpha'] },
  tf: { description: 'Bar timeframe.', enum: [...TIMEFRAMES] },
  name: { description: 'Model name.', examples: ['direction-mlp'] },
  event: { description: 'Registry event.', enum: [...ModelEventKindSchema.options] },
  source: { description: 'The edge that refused the message.', examples: ['asset', 'decisions', 'client'] },
};

const MSG_ID_HEADERS: Obj = {
  type: 'object',
  properties: { 'Nats-Msg-Id': { type: 'string', description: 'Equals the payload `id`: JetStream drops a duplicate inside the stream duplicate window (core NATS subscribers still receive it: dedupe by `id`).' } },
};

/** JSON Schema (draft-07, the AsyncAPI schema dialect) of a zod schema, without `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Obj {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Obj;
  return rest;
}

/** `sx.md.XVENUEX.XSYMX.trade` → `sx.md.{venue}.{sym}.trade`, and the parameters used. */
function address(subject: string): { address: string; params: ParamName[] } {
  const params: ParamName[] = [];
  const tokens = subject.split('.').map((t) => {
    const p = (Object.keys(PLACEHOLDERS) as ParamName[]).find((k) => PLACEHOLDERS[k] === t);
    if (p === undefined) return t;
    params.push(p);
    return `{${p}}`;
  });
  return { address: tokens.join('.'), params };
}

const ref = (path: string): Obj => ({ $ref: path });

/**
 * The AsyncAPI 3.0 document of every Sextant subject, generated from the subject builder and the
 * zod schemas (the schemas are the contract; this is their published form). Operations are from
 * the engine's side: `send` = Sextant publishes, `receive` = Sextant consumes (fills and expiries
 * are both: the paper venue publishes them, live trading consumers too), and control verbs are
 * `receive` with a reply. Bounds, integers, lengths and patterns are zod checks and so part of the
 * published schemas; rules across fields (a bar's high ≥ low, a fill's rebate cap, an expiry's id)
 * are refinements JSON Schema cannot carry: the engine enforces them at the edge.
 *
 * @example writeFileSync('docs/asyncapi.yaml', asyncApiYaml())
 */
export function asyncApiDocument(opts: Readonly<{ prefix?: string; version?: string }> = {}): Obj {
  const prefix = opts.prefix ?? 'sx';
  const specs = channelSpecs(subjectsFor(prefix));
  const channels: Obj = {};
  const operations: Obj = {};
  const messages: Obj = {};
  const schemas: Obj = {};
  const usedParams = new Set<ParamName>();
  const replyChannels: Obj = {};

  const addMessage = (name: string, schema: z.ZodType, io: 'input' | 'output', spec: ChannelSpec): void => {
    if (messages[name] !== undefined) return;
    schemas[name] = jsonSchema(schema, io);
    messages[name] = {
      name,
      title: name,
      contentType: 'application/json',
      ...(spec.stream !== null ? { headers: MSG_ID_HEADERS } : {}),
      payload: ref(`#/components/schemas/${name}`),
    };
  };

  for (const spec of specs) {
    const { address: addr, params } = address(spec.subject);
    params.forEach((p) => usedParams.add(p));
    addMessage(spec.message.name, spec.message.schema, spec.message.io ?? 'output', spec);
    const channel: Obj = {
      address: addr,
      title: spec.title,
      description: spec.description,
      messages: { [spec.direction === 'reply' ? 'request' : 'message']: ref(`#/components/messages/${spec.message.name}`) },
      'x-sextant-stream': spec.stream,
      'x-sextant-publisher': spec.publisher,
    };
    if (params.length > 0) channel['parameters'] = Object.fromEntries(params.map((p) => [p, ref(`#/components/parameters/${p}`)]));
    channels[spec.id] = channel;

    if (spec.direction === 'reply' && spec.reply !== undefined) {
      addMessage(spec.reply.name, spec.reply.schema, 'output', spec);
      const rc = spec.reply.channel;
      replyChannels[rc.id] ??= { address: null, title: rc.title, description: rc.description, messages: { reply: ref(`#/components/messages/${spec.reply.name}`) } };
      operations[spec.id] = {
        action: 'receive',
        channel: ref(`#/channels/${spec.id}`),
        summary: spec.title,
        messages: [ref(`#/channels/${spec.id}/messages/request`)],
        reply: { channel: ref(`#/channels/${spec.reply.channel.id}`), messages: [ref(`#/channels/${spec.reply.channel.id}/messages/reply`)] },
      };
    } else {
      const roles = spec.roles;
      const actions = spec.direction === 'both' ? (['send', 'receive'] as const) : [spec.direction];
      for (const action of actions) {
        const role = action === 'send' || action === 'receive' ? roles?.[action] : undefined;
        operations[`${action}${spec.id.charAt(0).toUpperCase()}${spec.id.slice(1)}`] = {
          action,
          channel: ref(`#/channels/${spec.id}`),
          summary: spec.title,
          ...(role !== undefined ? { description: role } : {}),
          messages: [ref(`#/channels/${spec.id}/messages/message`)],
        };
      }
    }
  }
  Object.assign(channels, replyChannels);

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Sextant',
      version: opts.version ?? '1',
      description: [
        `Subjects and v1 message schemas of the Sextant trading engine on NATS, generated from the zod schemas by \`npm run asyncapi\` (client/asyncapi.ts); do not edit by hand.`,
        `The subject prefix is \`${prefix}\` by default (config \`prefix\`); JetStream stream names take config \`streamNamePrefix\` in front.`,
        'Every message but the engine presence request and reply carries `type`, `v`, a deterministic `id` (published as Nats-Msg-Id on JetStream subjects) and `ts` (event time, ms since epoch). Ordering is per asset.',
        'Only `execOrder` is actionable. Consumers: see `sextant/client` (subscribeOrders, subscribePredictions, publishFill, publishExpiry).',
        'A message of a JetStream subject may be published more than once with the same `id`: a publish whose acknowledgement does not come back within the publish timeout is sent again: after a lost NATS connection, once it is back, and with the connection up (a slow or lost acknowledgement), at once. The stream keeps one copy (Nats-Msg-Id, within its duplicate window), so durable consumers (those of `sextant/client` included) see it once; a core NATS subscriber (`nc.subscribe` on `sx.exec.>`, say) receives every copy sent and must dedupe by `id`.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: { local: { host: '127.0.0.1:4222', protocol: 'nats', description: 'Development server (JetStream enabled).' } },
    channels,
    operations,
    components: {
      schemas,
      messages,
      parameters: Object.fromEntries((Object.keys(PARAMETERS) as ParamName[]).filter((p) => usedParams.has(p)).map((p) => [p, PARAMETERS[p]])),
    },
  };
}

/** The document as YAML, stable byte for byte for the same schemas. */
export const asyncApiYaml = (opts: Parameters<typeof asyncApiDocument>[0] = {}): string =>
  `# Generated by \`npm run asyncapi\` from the zod schemas in streams/messages and gateways/control. Do not edit.\n${stringify(asyncApiDocument(opts), { lineWidth: 0, aliasDuplicateObjects: false })}`;
