import { createMemoryBus } from '../../streams/memory-bus.js';
import { busContract } from './bus.contract.js';

busContract('memory', async () => createMemoryBus());
