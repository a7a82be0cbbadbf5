import type { TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';

/**
 * Messages between a training job (`training-job.ts`) and its worker (`training-worker.ts`) or
 * process (`training-process.ts`). To a worker the spec travels as `workerData` and the ONNX
 * bytes and probabilities come back transferred; to a process both go over IPC (`advanced`
 * serialisation, which keeps typed arrays).
 */
/** `lowerPriority`: the worker lowers its thread to SCHED_IDLE / nice 19 (priority `idle`). */
export type TrainingWorkerData = Readonly<{ spec: TrainingSpec; lowerPriority: boolean }>;

export type TrainingHostMessage = Readonly<{ type: 'cancel' }>;

/** The first message to a training process (`training-process.ts`): the spec, and whether it must lower its own priority (started without `chrt`). */
export type TrainingProcessStart = Readonly<{ type: 'start'; spec: TrainingSpec; lowerOwnPriority: boolean }>;

export type TrainingWorkerMessage =
  | Readonly<{ type: 'progress'; progress: TrainingProgress }>
  | Readonly<{ type: 'result'; result: TrainingResult }>
  | Readonly<{ type: 'cancelled' }>
  | Readonly<{ type: 'failed'; error: Readonly<{ name: string; message: string }> }>;
