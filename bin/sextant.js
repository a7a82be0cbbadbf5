#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's ESM loader so the published bin needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
