import type { ModelRuntime } from '../runtime/model-runtime.js';
import { ONNX_PARITY_TOLERANCE } from '../training/onnx-parity.js';
import type { ChallengerFit } from './train-challenger.js';

export type ValidationVerdict = Readonly<{ ok: true; parity: number } | { ok: false; reason: string }>;

/**
 * The stored artifact must load and give the probabilities the training pipeline measured (to
 * ONNX_PARITY_TOLERANCE) on the validation rows, with a finite validation log loss; otherwise it
 * never reaches the shadow stage.
 */
export async function validateChallenger(fit: ChallengerFit, runtime: ModelRuntime): Promise<ValidationVerdict> {
  if (!Number.isFinite(fit.valLogLoss)) return { ok: false, reason: `validation log loss is ${fit.valLogLoss}` };
  if (runtime.inputWidth !== null && runtime.inputWidth !== fit.validation.cols) return { ok: false, reason: `artifact reads ${runtime.inputWidth} features, expected ${fit.validation.cols}` };
  const [probs] = await runtime.run(fit.validation.x, fit.validation.rows, fit.validation.cols);
  if (probs === undefined || probs.length !== fit.validation.tfjsProbs.length) return { ok: false, reason: 'artifact output has the wrong shape' };
  let parity = 0;
  for (let i = 0; i < probs.length; i++) parity = Math.max(parity, Math.abs((probs[i] as number) - (fit.validation.tfjsProbs[i] as number)));
  if (!(parity <= ONNX_PARITY_TOLERANCE)) return { ok: false, reason: `ONNX output differs from the fit by ${parity} (tolerance ${ONNX_PARITY_TOLERANCE})` };
  return { ok: true, parity };
}
