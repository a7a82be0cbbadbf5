import type { TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';

/**
 * Messages between a training job (`training-job.ts`) and its worker (`training-worker.ts`).
 * The spec travels as `workerData`; the ONNX bytes and probabilities come back transferred.
 */
export type TrainingWorkerData = Readonly<{ spec: TrainingSpec }>;

export type TrainingHostMessage = Readonly<{ type: 'cancel' }>;

export type TrainingWorkerMessage =
  | Readonly<{ type: 'progress'; progress: TrainingProgress }>
  | Readonly<{ type: 'result'; result: TrainingResult }>
  | Readonly<{ type: 'cancelled' }>
  | Readonly<{ type: 'failed'; error: Readonly<{ name: string; message: string }> }>;
