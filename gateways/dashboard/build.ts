import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { DASHBOARD_DIST, STAMP_FILE, writeBuildStamp } from './build-stamp.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export { DASHBOARD_DIST };

/**
 * zod re-exports every locale (`z.locales`, `core.locales`), which keeps ~260 KiB of messages in
 * any bundle. The page only uses English (zod's default, imported directly), so the namespace
 * becomes English only.
 */
const englishOnlyZod: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: 'zod-locales-en', namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({ contents: "export { default as en } from 'zod/v4/locales/en.js';", resolveDir: HERE, loader: 'js' }));
  },
};

export type DashboardBuild = Readonly<{ outDir: string; files: readonly string[]; bytes: number }>;

/**
 * Bundles the dashboard (src/main.ts with lightweight-charts and zod) into `outDir`: index.html,
 * app.js and app.css. Takes about a second; the gateway or a test calls it when `dist/` is missing.
 *
 * @example await buildDashboard() // gateways/dashboard/dist/{index.html,app.js,app.css}
 */
export async function buildDashboard(outDir: string = DASHBOARD_DIST): Promise<DashboardBuild> {
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    conditions: ['production'],
    define: { 'process.env.NODE_ENV': '"production"' },
    // A bundle is generated code: linters that walk the tree (`eslint .`) have nothing to say about it.
    banner: { js: '/* eslint-disable */' },
    metafile: true,
    plugins: [englishOnlyZod],
    logLevel: 'silent',
  });
  const statics = [join(HERE, 'static', 'index.html'), join(HERE, 'static', 'app.css')];
  await copyFile(statics[0] as string, join(out, 'index.html'));
  await copyFile(statics[1] as string, join(out, 'app.css'));
  // What it was built from (the bundle's inputs, paths relative to esbuild's working directory,
  // and the copied files), so a gateway started after a change rebuilds instead of serving the old page.
  await writeBuildStamp(out, [...Object.keys(result.metafile.inputs).map((f) => resolve(process.cwd(), f)), ...statics]);
  const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  return { outDir: out, files: ['index.html', 'app.js', 'app.css', STAMP_FILE], bytes };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  buildDashboard(outDir).then(
    (r) => console.info(`dashboard built in ${r.outDir}: ${r.files.join(', ')} (app.js ${(r.bytes / 1024).toFixed(0)} KiB)`),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
