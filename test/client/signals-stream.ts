import { randomUUID } from 'node:crypto';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { streamName, streamSpecs } from '../../streams/provision.js';

/** A test's own SIGNALS stream on real NATS JetStream, and its connection (set in beforeAll). */
export type SignalsStream = Readonly<{
  /** Unique to the test file: its prefix and stream names carry it. */
  id: string;
  /** The engine prefix the stream captures, `<tag><id>`. */
  prefix: string;
  SIGNALS: string;
  readonly nc: NatsConnection;
  /** How many messages the stream holds. */
  stored: () => Promise<number>;
}>;

/**
 * Registers beforeAll/afterAll hooks that connect and add a memory SIGNALS stream with the
 * engine's subjects under prefix `<tag><id>` and a 60 s duplicate window (for Nats-Msg-Id retries),
 * then delete it and close. Fails (never skips) when the server is not reachable.
 */
export function useSignalsStream(tag: string, name: string): SignalsStream {
  const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const id = randomUUID().slice(0, 8);
  const prefix = `${tag}${id}`;
  const namePrefix = `${tag.toUpperCase()}${id}_`;
  const cfg = loadConfig({ env: {} });
  const signals = streamSpecs(cfg, { namePrefix, subjectPrefix: prefix, storage: 'memory' }).find((s) => s.name.endsWith('SIGNALS'));
  const SIGNALS = streamName(cfg, 'SIGNALS', { namePrefix });
  let conn: NatsConnection | undefined;
  const nc = (): NatsConnection => {
    if (conn === undefined) throw new Error('not connected: use the stream in a test, after beforeAll');
    return conn;
  };

  beforeAll(async () => {
    conn = await connect({ servers: url, name });
    const jsm = await jetstreamManager(conn);
    await jsm.streams.add({ name: SIGNALS, subjects: [...(signals?.subjects ?? [])], storage: StorageType.Memory, duplicate_window: 60_000_000_000 });
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc());
    await jsm.streams.delete(SIGNALS);
    await nc().close();
  });

  return {
    id,
    prefix,
    SIGNALS,
    get nc() {
      return nc();
    },
    stored: async () => (await (await jetstreamManager(nc())).streams.info(SIGNALS)).state.messages,
  };
}
