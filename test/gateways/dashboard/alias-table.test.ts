import { describe, expect, it } from 'vitest';
import { applyAliasEvent } from '../../../gateways/dashboard/src/alias-table.js';
import type { ModelEvent } from '../../../streams/messages/model-event.js';

const T0 = Date.UTC(2024, 0, 2);
const event = (seq: number, e: Pick<ModelEvent, 'name' | 'event' | 'version' | 'alias'>): ModelEvent => ({ type: 'model.event', v: 1, id: `m:${seq}`, ts: T0 + seq * 1_000, previousVersion: null, actor: 'ops', reason: 'test', ...e });
const fold = (events: readonly ModelEvent[]): Record<string, number> => {
  const m = new Map<string, ModelEvent>();
  for (const e of events) applyAliasEvent(m, e);
  return Object.fromEntries([...m].map(([k, e]) => [k, e.version]));
};

describe("the models panel's alias table", () => {
  it('drops the aliases a rejection cleared (its version, set before it), as the registry does', () => {
    const promoted = [
      event(1, { name: 'dir', event: 'promoted', version: 3, alias: 'production' }),
      event(2, { name: 'dir', event: 'promoted', version: 4, alias: 'staging' }),
      event(3, { name: 'other', event: 'promoted', version: 4, alias: 'staging' }),
    ];
    expect(fold([...promoted, event(4, { name: 'dir', event: 'rejected', version: 4, alias: null })])).toEqual({ 'dir@production': 3, 'other@staging': 4 });
    // A rejection older than the promotion (a snapshot's frames out of time order) leaves it.
    expect(fold([event(0, { name: 'dir', event: 'rejected', version: 4, alias: null }), ...promoted])).toEqual({ 'dir@production': 3, 'dir@staging': 4, 'other@staging': 4 });
  });

  it('drops an alias a removal took off, unless it holds a newer move of it', () => {
    const candidate = event(2, { name: 'dir', event: 'promoted', version: 4, alias: 'candidate' });
    const production = event(1, { name: 'dir', event: 'promoted', version: 3, alias: 'production' });
    expect(fold([production, candidate, event(3, { name: 'dir', event: 'alias_removed', version: 4, alias: 'candidate' })])).toEqual({ 'dir@production': 3 });
    // A removal older than the move held (frames out of time order) leaves it.
    expect(fold([production, event(5, { name: 'dir', event: 'promoted', version: 5, alias: 'candidate' }), event(3, { name: 'dir', event: 'alias_removed', version: 4, alias: 'candidate' })])).toEqual({ 'dir@production': 3, 'dir@candidate': 5 });
  });

  it('keeps the newest move of each alias', () => {
    expect(fold([event(2, { name: 'dir', event: 'promoted', version: 2, alias: 'production' }), event(1, { name: 'dir', event: 'promoted', version: 1, alias: 'production' }), event(3, { name: 'dir', event: 'registered', version: 5, alias: null })])).toEqual({ 'dir@production': 2 });
  });
});
