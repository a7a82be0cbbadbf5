import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { candidateAliasCases } from './candidate-alias.cases.js';
import { pgRetrainingWorld } from './pg-world.js';

// candidate-alias.test.ts on the PostgreSQL registry and sample store (real PostgreSQL, a schema of its own).
const cfg = { ...loadConfig(), prefix: 'rtcandpg', streamNamePrefix: 'RTCANDPG_' };
const subjects = subjectsFor(cfg.prefix);

candidateAliasCases('PostgreSQL', { cfg, subjects, world: () => pgRetrainingWorld(cfg, subjects) });
