import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import { trainingSampleStoreContract } from './training-sample-store.contract.js';

trainingSampleStoreContract('memory', async () => createMemoryTrainingSampleStore());
