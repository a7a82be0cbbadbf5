import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as source from '../../client/mod.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/**
 * A live trading consumer imports `sextant/client` from its own service, most likely plain
 * Node.js without a TypeScript loader. The package's entry must be JavaScript with type
 * declarations beside it: `npm run build` (run by npm install's `prepare`) writes it to dist/.
 */
describe('the sextant/client package entry', () => {
  it('is built to JavaScript that plain Node imports by the package name, with the source exports and declarations', async () => {
    await run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.client.json'], { cwd: ROOT });
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    const entry = pkg.exports['./client'];
    expect(entry).toBeDefined();
    expect(entry?.default.endsWith('.js')).toBe(true);
    expect(existsSync(resolve(ROOT, entry?.types ?? ''))).toBe(true);
    expect(readFileSync(resolve(ROOT, entry?.types ?? ''), 'utf8')).toContain('subscribeOrders');

    // No tsx, no loader: what a consumer's `node service.js` does (a package may import itself by name).
    const script = [
      "const m = await import('sextant/client');",
      "console.log(JSON.stringify({ names: Object.keys(m).sort(), filter: m.orderFilter('sx', { strategy: 'alpha', symbol: 'BTC/USDT' }), fill: m.fillId('o-1', 2) }));",
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
    const got = JSON.parse(stdout) as { names: string[]; filter: string; fill: string };
    expect(got.names).toEqual(Object.keys(source).sort());
    expect(got.filter).toBe(source.orderFilter('sx', { strategy: 'alpha', symbol: 'BTC/USDT' }));
    expect(got.fill).toBe(source.fillId('o-1', 2));
  });
});
