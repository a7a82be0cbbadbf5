import { z } from 'zod';
import { contradictions } from './retraining-config-checks.js';

const positiveInt = z.number().int().positive();

/** Background training's default pace (runs, then stops; wall-clock ms): measured in bench:training-latency. */
const PACE_RUN_MS = 100;
/**
 * Fine-tuning's Adam step: a fresh fit's (DEFAULT_PARAMS.mlp). At a tenth of it the challengers
 * stayed too close to the champion to pass the shadow's margin (docs/retraining-experiment.md).
 */
const WARM_START_LEARNING_RATE = 1e-3;
const PACE_PAUSE_MS = 100;
/** A promoted model is watched for at least three days of event time (see `rollback.watchMs`). */
const WATCH_MS = 3 * 24 * 3_600_000;
/**
 * …and does not yield to the engine by default (`lagMs: 0`): yielding (e.g. `lagMs: 10, holdMs:
 * 200`) cost ~15 % of the trainer's epochs without a p99 gain told apart from chance in ten runs
 * (bench/README.md, issue 6, stop 15).
 */
const YIELD = { lagMs: 0, holdMs: 200, probeMs: 5 } as const;

/**
 * The retraining actor's settings (`retraining:` in the config). Off by default: the engine runs
 * without it until an operator turns it on. Counts are labels (labeled predictions of the served
 * model), times are event time (label timestamps), never the wall clock.
 */
export const RetrainingConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Registry name of the served model family the actor retrains (default: the strategy's model). */
    model: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    triggers: z
      .object({
        /** Retrain after this many labels since the last training (0 = off). */
        everyLabels: z.number().int().min(0).default(0),
        /** Retrain after this much event time since the last training (0 = off). */
        everyMs: z.number().int().min(0).default(0),
        /** Rolling window (labels) over which the production model's performance is watched. */
        decayWindow: positiveInt.default(200),
        /** Decay: rolling log loss above this (nats; ln 3 ≈ 1.0986 is a uniform guess over 3 classes). */
        maxLogLoss: z.number().positive().default(1.1),
        /** Decay: rolling hit rate below this (0 = off). */
        minHitRate: z.number().min(0).max(1).default(0),
        /** Feature drift: PSI of any feature between the training range and the recent window above this. */
        psiThreshold: z.number().positive().default(0.25),
        /** Recent feature rows compared with the reference (and the fewest before PSI is judged). */
        psiWindow: positiveInt.default(200),
        psiBins: z.number().int().min(2).max(50).default(10),
        /** ADWIN confidence on the error stream (0/1 misses of the production model), below 1 (createAdwin refuses 1); 0 = off. */
        adwinDelta: z.number().min(0).lt(1).default(0.002),
      })
      .strict()
      .default({ everyLabels: 0, everyMs: 0, decayWindow: 200, maxLogLoss: 1.1, minHitRate: 0, psiThreshold: 0.25, psiWindow: 200, psiBins: 10, adwinDelta: 0.002 }),
    training: z
      .object({
        /** Fewest stored samples before a triggered retraining trains (collecting until then). */
        minSamples: positiveInt.default(300),
        /** Most recent samples a challenger is trained on. */
        maxSamples: positiveInt.default(5000),
        /** Share of those (the latest) held out for early stopping and the ONNX parity check. */
        validationFraction: z.number().gt(0).lt(1).default(0.2),
        epochs: positiveInt.default(30),
        seed: z.number().int().min(0).default(42),
        /**
         * Live only (a backtest trains unpaced): the training process runs `runMs`, then stops for
         * `pauseMs` of wall time, so the live path shares the machine with it a bounded part of the
         * time (models/training/training-job.ts, TrainingPace). `pauseMs: 0` runs it unpaced.
         * `yieldTo`: it is also stopped for `holdMs` whenever a `probeMs` timer of the engine's
         * event loop fires `lagMs` or more late (TrainingYield); `lagMs: 0` turns that off.
         */
        pace: z
          .object({
            runMs: positiveInt,
            pauseMs: z.number().int().min(0),
            yieldTo: z.object({ lagMs: z.number().int().min(0), holdMs: positiveInt, probeMs: positiveInt }).strict().default(YIELD),
          })
          .strict()
          .default({ runMs: PACE_RUN_MS, pauseMs: PACE_PAUSE_MS, yieldTo: YIELD }),
        /**
         * Continual learning: a challenger starts from the champion's weights and is fine-tuned on
         * the recent samples at `learningRate`, on the champion's standardisation, instead of being
         * fitted from scratch on them alone (models/retraining/train-challenger.ts). Only for a
         * champion that is a dense MLP over the same columns; any other is fitted from scratch.
         */
        warmStart: z
          .object({ enabled: z.boolean().default(true), learningRate: z.number().positive().max(1).default(WARM_START_LEARNING_RATE) })
          .strict()
          .default({ enabled: true, learningRate: WARM_START_LEARNING_RATE }),
      })
      .strict()
      .default({
        minSamples: 300,
        maxSamples: 5000,
        validationFraction: 0.2,
        epochs: 30,
        seed: 42,
        pace: { runMs: PACE_RUN_MS, pauseMs: PACE_PAUSE_MS, yieldTo: YIELD },
        warmStart: { enabled: true, learningRate: WARM_START_LEARNING_RATE },
      }),
    /**
     * The classes labeled predictions are scored and challengers trained on are the champion's:
     * its forward return over the horizon against ±kAtr·ATR14/close (models/retraining/
     * sample-class.ts), with the `kAtr` its registry entry records (`details.labels.kAtr`, as
     * `sextant train` writes it); this one only for a champion that records none.
     */
    classes: z.object({ kAtr: z.number().min(0).default(0.75) }).strict().default({ kAtr: 0.75 }),
    shadow: z
      .object({
        /** Labeled predictions the challenger and champion are both scored on before the decision. */
        predictions: positiveInt.default(200),
        /** Promote only when the challenger's mean log loss is below the champion's by more than this. */
        margin: z.number().min(0).default(0.01),
        /** Consecutive labels per block of the significance check (labels close in time are not independent). */
        blockLabels: positiveInt.default(20),
        /**
         * Promote only when the t statistic of the block means of the improvement, less the margin,
         * is at least this (2 ≈ one chance in 40 that a challenger no better than the margin passes); 0 = the margin alone.
         */
        minT: z.number().min(0).default(2),
      })
      .strict()
      .default({ predictions: 200, margin: 0.01, blockLabels: 20, minT: 2 }),
    rollback: z
      .object({
        /** Labels after a promotion during which the new model is watched… */
        watchLabels: positiveInt.default(300),
        /**
         * …and event time (label timestamps, ms) it is watched for at least, whichever ends later:
         * the same length of market on every timeframe (0 = the label count alone).
         */
        watchMs: z.number().int().min(0).default(WATCH_MS),
        /** Fewest labels scored by both models before a rollback can be judged. */
        minLabels: positiveInt.default(50),
        /**
         * Roll back when the promoted model's mean log loss exceeds the previous champion's on the
         * same labels (the previous model is scored beside it while watched) by more than this…
         */
        margin: z.number().min(0).default(0.02),
        /** …with a t statistic of at least this over blocks of `shadow.blockLabels` labels (0 = the margin alone). */
        minT: z.number().min(0).default(2),
        /**
         * Hold the automatic triggers while a promoted model is watched, so that the next challenger
         * cannot replace it before it has been judged against the model it replaced over the whole
         * watch (a chain of promotions, each no worse than the one before, can drift from the model
         * it started from). Operator triggers are not held.
         */
        holdTriggers: z.boolean().default(false),
        /**
         * Also score the chain's anchor — the last production model the retraining actor did not put
         * there itself — beside a watched promotion, and go back to it when the promoted model is
         * worse than it by the same rule: a chain of promotions, each no worse than the one before,
         * is judged against where it started, not only a link at a time.
         */
        anchor: z.boolean().default(true),
      })
      .strict()
      .default({ watchLabels: 300, watchMs: WATCH_MS, minLabels: 50, margin: 0.02, minT: 2, holdTriggers: false, anchor: true }),
    consumer: z.object({ batchSize: positiveInt.default(256), ackWaitMs: positiveInt.default(60_000) }).strict().default({ batchSize: 256, ackWaitMs: 60_000 }),
    mlflow: z
      .object({
        /** MLflow tracking server (e.g. http://127.0.0.1:5000); unset = no MLflow logging. */
        trackingUrl: z.string().url().optional(),
        experiment: z.string().min(1).default('sextant-retraining'),
        /** Also create registered models and model versions in MLflow's registry. */
        registerModels: z.boolean().default(true),
        timeoutMs: positiveInt.default(5000),
      })
      .strict()
      .default({ experiment: 'sextant-retraining', registerModels: true, timeoutMs: 5000 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const p of contradictions(c)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export type RetrainingConfig = z.output<typeof RetrainingConfigSchema>;
export type RetrainingConfigInput = z.input<typeof RetrainingConfigSchema>;

/** Every default: what `retraining:` means when the section is absent. */
export const DEFAULT_RETRAINING_CONFIG: RetrainingConfig = RetrainingConfigSchema.parse({});
