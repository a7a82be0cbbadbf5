import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { candidateAliasCases } from './candidate-alias.cases.js';
import { retrainingWorld } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtcand', streamNamePrefix: 'RTCAND_' };
const subjects = subjectsFor(cfg.prefix);

candidateAliasCases('memory', {
  cfg,
  subjects,
  world: async () => {
    const w = await retrainingWorld(cfg, subjects);
    return { ...w, close: () => w.bus.close() };
  },
});
