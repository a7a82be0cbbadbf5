import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { pgRetrainingWorld } from './pg-world.js';
import { midFitRestartCases } from './restore-mid-fit.cases.js';

// The restart between a challenger's registration and its shadow run (restore-mid-fit.test.ts)
// on the PostgreSQL registry and sample store (real PostgreSQL, a schema of its own per case).
const cfg = { ...loadConfig(), prefix: 'rtmidfitpg', streamNamePrefix: 'RTMIDFITPG_' };
const subjects = subjectsFor(cfg.prefix);

midFitRestartCases('PostgreSQL', { cfg, subjects, world: () => pgRetrainingWorld(cfg, subjects) });
