import type { ModelEvent } from '../../streams/messages/model-event.js';
import { RegistryError } from './model-registry.js';

/**
 * The artifact on disk is missing or its bytes differ from the sha256 recorded at registration
 * (a truncated copy, a tampered or overwritten file). Loading it would run an unknown model.
 */
export class ArtifactIntegrityError extends RegistryError {
  override readonly name = 'ArtifactIntegrityError';
}

/**
 * The version exists but was rejected (a retraining challenger that lost, or one refused by hand):
 * it can no longer be promoted or rejected again. Not a `ModelNotFoundError`: `ctl model
 * deploy` of it answered NOT_FOUND, telling the operator a version listed a moment ago was not there.
 */
export class ModelRejectedError extends RegistryError {
  override readonly name = 'ModelRejectedError';
}

/** An alias has no earlier version to return to (first promotion, or already rolled back to it). */
export class NoRollbackTargetError extends RegistryError {
  override readonly name = 'NoRollbackTargetError';
}

/**
 * The alias no longer points at the version the caller expected (`ifCurrent`): someone else moved
 * it since the caller looked (an operator's deploy or rollback). Nothing was written; `current`
 * is where it points now (undefined when unset).
 */
export class AliasMovedError extends RegistryError {
  override readonly name = 'AliasMovedError';
  constructor(
    readonly current: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;

/**
 * The change was committed but its event could not be published (bus down). It is published
 * again, with the same msgId, after the next change or at the next start: do not repeat the change.
 */
export class AnnouncementPendingError extends RegistryError {
  override readonly name = 'AnnouncementPendingError';
  constructor(
    readonly event: ModelEvent,
    cause: unknown,
  ) {
    super(`${event.name}@${event.version} ${event.event} was committed but not announced yet: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
