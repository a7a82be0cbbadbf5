import type { ControlArgs } from './control-messages.js';

/**
 * What operator control acts on: the running engine's risk actor, supervisor and model
 * registry. The control server validates and audits; the target does. Results are plain JSON.
 */
export type ControlTarget = Readonly<{
  status(): Promise<unknown> | unknown;
  halt(args: ControlArgs<'halt'>, operator: string): Promise<unknown> | unknown;
  resume(args: ControlArgs<'resume'>, operator: string): Promise<unknown> | unknown;
  getLimits(): Promise<unknown> | unknown;
  /** Throws `ControlError(REFUSED)` when the patch is not a valid set of limits. */
  setLimits(patch: Readonly<Record<string, unknown>>, operator: string): Promise<unknown> | unknown;
  listModels(name: string | undefined): Promise<unknown>;
  deployModel(args: ControlArgs<'model.deploy'>, operator: string): Promise<unknown>;
  rollbackModel(args: ControlArgs<'model.rollback'>, operator: string): Promise<unknown>;
}>;
