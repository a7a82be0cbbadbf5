import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { timeseriesStoreContract } from './timeseries-store.contract.js';

timeseriesStoreContract('memory', async () => createMemoryTimeseriesStore());
