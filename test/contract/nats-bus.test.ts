import { createNatsBus } from '../../streams/nats-bus.js';
import { busContract } from './bus.contract.js';

// Runs on the real server; fails (never skips) when NATS is not reachable.
busContract('NATS JetStream', () => createNatsBus({ url: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', name: 'bus-contract', connectTimeoutMs: 2000 }));
