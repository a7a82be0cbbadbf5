import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { featureStoreContract } from './feature-store.contract.js';

// Real Redis; fails (never skips) when it is not reachable. Each store gets its own key prefix.
featureStoreContract('Redis', (keyPrefix) => createRedisFeatureStore({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', keyPrefix, historyCap: 5 }));
