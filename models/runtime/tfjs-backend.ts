import type * as Tf from '@tensorflow/tfjs';
import { RuntimeWarningCode } from './model-runtime.js';
import type { RuntimeWarning } from './model-runtime.js';

/**
 * Which tfjs backend to run on. `auto`: native TensorFlow (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when the user has installed it, else WebAssembly, else plain JS.
 */
export const TfjsBackendPreference = { auto: 'auto', native: 'native', wasm: 'wasm', cpu: 'cpu' } as const;
export type TfjsBackendPreference = (typeof TfjsBackendPreference)[keyof typeof TfjsBackendPreference];

/**
 * The native bindings are deliberately not dependencies, not even optional ones: their install
 * script downloads libtensorflow, which fails (noisily, or fatally under `npm ci`) on machines
 * without internet access, and npm would attempt it for optionalDependencies too. A user who
 * wants them runs `npm install @tensorflow/tfjs-node-gpu` (or `-node`) and this module picks
 * them up at run time. Specifiers are held in variables so TypeScript does not try to resolve
 * packages that are usually absent.
 */
const NATIVE_PACKAGES: readonly string[] = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const WASM_PACKAGE: string = '@tensorflow/tfjs-backend-wasm';

export type SelectedBackend = Readonly<{ backend: string; detail: string; warnings: readonly RuntimeWarning[] }>;

const isNotInstalled = (e: unknown, pkg: string): boolean =>
  e instanceof Error && 'code' in e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && e.message.includes(pkg);

/** Picks and activates a backend on the calling thread's tfjs engine (tfjs state is per thread). */
export async function selectTfjsBackend(tf: typeof Tf, preference: TfjsBackendPreference, onWarning: (w: RuntimeWarning) => void): Promise<SelectedBackend> {
  const warnings: RuntimeWarning[] = [];
  const warn = (code: RuntimeWarning['code'], message: string): void => {
    const w = { code, message };
    warnings.push(w);
    onWarning(w);
  };

  if (preference === 'auto' || preference === 'native') {
    for (const pkg of NATIVE_PACKAGES) {
      try {
        await import(pkg);
      } catch (e) {
        if (!isNotInstalled(e, pkg)) warn(RuntimeWarningCode.tfjsNativeUnavailable, `${pkg} is installed but failed to load: ${(e as Error).message}`);
        continue;
      }
      // tfjs-node registers 'tensorflow' on the tfjs-core copy it resolves; a version mismatch
      // means a second copy, and our engine never sees the backend.
      if (tf.findBackendFactory('tensorflow') !== null && (await tf.setBackend('tensorflow'))) {
        await tf.ready();
        return { backend: 'tensorflow', detail: pkg, warnings };
      }
      warn(RuntimeWarningCode.tfjsNativeUnavailable, `${pkg} loaded but registered no backend with @tensorflow/tfjs ${tf.version.tfjs} (a different tfjs version installed alongside?)`);
    }
    if (preference === 'native') warn(RuntimeWarningCode.tfjsNativeUnavailable, 'native TensorFlow backend requested but not installed; falling back to wasm');
  }

  if (preference !== 'cpu') {
    try {
      await import(WASM_PACKAGE);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { backend: 'wasm', detail: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'no-simd', warnings };
      }
      warn(RuntimeWarningCode.tfjsWasmUnavailable, 'the tfjs wasm backend failed to initialise; falling back to the plain JS backend');
    } catch (e) {
      warn(RuntimeWarningCode.tfjsWasmUnavailable, `the tfjs wasm backend cannot load (${(e as Error).message}); falling back to the plain JS backend`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: 'cpu', detail: 'js', warnings };
}
