import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { freshActorCycleCases } from './fresh-actor-cycles.cases.js';
import { pgRetrainingWorld } from './pg-world.js';

// fresh-actor-cycles.test.ts on the PostgreSQL registry and sample store (real PostgreSQL, a schema of its own).
const cfg = { ...loadConfig(), prefix: 'rtfreshpg', streamNamePrefix: 'RTFRESHPG_' };
const subjects = subjectsFor(cfg.prefix);

freshActorCycleCases('PostgreSQL', { cfg, subjects, world: () => pgRetrainingWorld(cfg, subjects) });
