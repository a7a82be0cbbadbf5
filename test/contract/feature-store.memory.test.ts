import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { featureStoreContract } from './feature-store.contract.js';

featureStoreContract('memory', async () => createMemoryFeatureStore({ historyCap: 5 }));
