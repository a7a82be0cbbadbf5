import type { ControlArgs } from './control-messages.js';

/**
 * What operator control acts on: the running engine's risk actor, supervisor and model
 * registry. The control server validates and audits; the target does. Results are plain JSON.
 */
export type ControlTarget = Readonly<{
  status(): Promise<unknown> | unknown;
  halt(args: ControlArgs<'halt'>, operator: string): Promise<unknown> | unknown;
  resume(args: ControlArgs<'resume'>, operator: string): Promise<unknown> | unknown;
  reduce(args: ControlArgs<'reduce'>, operator: string): Promise<unknown> | unknown;
  getLimits(): Promise<unknown> | unknown;
  /** Throws `ControlError(REFUSED)` when the patch is not a valid set of limits. */
  setLimits(patch: Readonly<Record<string, unknown>>, operator: string): Promise<unknown> | unknown;
  listModels(name: string | undefined): Promise<unknown>;
  deployModel(args: ControlArgs<'model.deploy'>, operator: string): Promise<unknown>;
  rollbackModel(args: ControlArgs<'model.rollback'>, operator: string): Promise<unknown>;
  /** Throws `ControlError(REFUSED)` for `production`, `NOT_FOUND` when the alias is not set. */
  removeModelAlias(args: ControlArgs<'model.remove-alias'>, operator: string): Promise<unknown>;
  /** The retraining actor, when the engine runs one (`retraining.enabled`); absent → `retrain.*` answers UNAVAILABLE. */
  retraining?: RetrainingControl;
}>;

/** What `sextant ctl retrain …` acts on. Results are plain JSON (the actor's status). */
export type RetrainingControl = Readonly<{
  trigger(args: ControlArgs<'retrain.trigger'>, operator: string): Promise<unknown> | unknown;
  pause(args: ControlArgs<'retrain.pause'>, operator: string): Promise<unknown> | unknown;
  resume(args: ControlArgs<'retrain.resume'>, operator: string): Promise<unknown> | unknown;
  status(): Promise<unknown> | unknown;
}>;
