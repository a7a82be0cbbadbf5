import { describe, expect, it } from 'vitest';
import type { ActorSummary } from '../../../cli/engine-status-feed.js';
import { refusedPromotionLine } from '../../../gateways/dashboard/src/model-refusal.js';
import { parsePayload } from '../../../gateways/dashboard/src/topics.js';

/** The decision actor's summary as the engine's status feed publishes it on `actors`, read as the page reads it. */
const asPageReadsIt = (a: ActorSummary): ReturnType<typeof refusedPromotionLine> => {
  const parsed = parsePayload('actors', a.id, 'delta', JSON.parse(JSON.stringify(a)));
  if (!parsed.ok) throw new Error(parsed.reason);
  if (parsed.payload.topic !== 'actors') throw new Error('not an actor');
  return refusedPromotionLine(parsed.payload.data);
};

describe('dashboard models panel: a promotion the engine refused', () => {
  it('says which version the alias names, why the engine refused it and what it still serves', () => {
    const refusing: ActorSummary = {
      id: 'decision:momentum',
      kind: 'decision',
      state: 'live',
      model: 'direction-mlp@1',
      lastError: 'refused direction-mlp@7 (direction-mlp@production): it was trained on 5m bars; this engine decides on 1h bars',
      modelRefused: { name: 'direction-mlp', version: 7, alias: 'production', reason: 'it was trained on 5m bars; this engine decides on 1h bars' },
    };
    expect(asPageReadsIt(refusing)).toBe('Refused direction-mlp v7 (direction-mlp@production names it): it was trained on 5m bars; this engine decides on 1h bars — still serving direction-mlp v1');
  });

  it('says nothing while the engine serves what its alias names', () => {
    expect(asPageReadsIt({ id: 'decision:momentum', kind: 'decision', state: 'live', model: 'direction-mlp@8' })).toBeNull();
  });
});
