/**
 * The model versions whose `rejected` event the hub relayed before its start-up `seed` (the models
 * read, `models-seed.ts`): that read may predate a rejection and hold a promotion of the rejected
 * version, which must not come back. Only `seed` asks, once: after it (`close`) nothing is kept.
 * Until then memory is bounded even if the read never answers (NATS and PostgreSQL both down):
 * per model the newest `perModel` rejected versions, and at most `models` models, the one rejected
 * least lately forgotten first. A read lasts seconds; a model rejecting more versions than that
 * within it, or that many models rejecting, is past any registry's pace.
 */
export type RejectedVersions = Readonly<{
  /** Records a relayed rejection (nothing once closed). */
  add(name: string, version: number): void;
  has(name: string, version: number): boolean;
  /** The start-up read was folded in: forgets everything, records nothing from now on. */
  close(): void;
  /** Versions held now, all models together. */
  size(): number;
}>;

export const REJECTED_PER_MODEL = 32;
export const REJECTED_MODELS = 256;

export function createRejectedVersions(perModel = REJECTED_PER_MODEL, models = REJECTED_MODELS): RejectedVersions {
  /** Per model, its rejected versions, oldest first; the map in order of the latest rejection. */
  const byModel = new Map<string, number[]>();
  let closed = false;
  return {
    add: (name, version) => {
      if (closed) return;
      const list = byModel.get(name) ?? [];
      byModel.delete(name);
      if (!list.includes(version)) list.push(version);
      if (list.length > perModel) list.shift();
      byModel.set(name, list);
      if (byModel.size > models) byModel.delete(byModel.keys().next().value as string);
    },
    has: (name, version) => byModel.get(name)?.includes(version) === true,
    close: () => {
      closed = true;
      byModel.clear();
    },
    size: () => {
      let n = 0;
      for (const l of byModel.values()) n += l.length;
      return n;
    },
  };
}
