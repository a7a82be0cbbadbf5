import { randomUUID } from 'node:crypto';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { modelRegistryContract } from './model-registry.contract.js';
import { T0, withOutage } from './model-registry.fixtures.js';

modelRegistryContract('memory', async () => {
  const bus = createMemoryBus();
  const subjects = subjectsFor('sx');
  const stream = `MODELS_${randomUUID().slice(0, 8)}`;
  await bus.ensureStreams([{ name: stream, subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const clock = createSimulatedClock(T0);
  const outage = { on: false };
  const registry = createMemoryModelRegistry({ bus: withOutage(bus, outage), subjects, clock });
  return { registry, bus, stream, subjects, clock, outage, close: async () => { await registry.close(); await bus.close(); } };
});
