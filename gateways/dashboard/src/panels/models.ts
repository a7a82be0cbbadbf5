import type { ModelEvent } from '../../../../streams/messages/model-event.js';
import type { Prediction } from '../../../../streams/messages/prediction.js';
import { applyAliasEvent } from '../alias-table.js';
import { el, fmt, panel, tableOf } from '../dom.js';
import { refusedPromotionLine } from '../model-refusal.js';
import type { ActorStatus } from '../topics.js';

const RECENT = 20;

/**
 * Model versions: what each alias points to (from registry events), which version the strategy
 * actually serves (from its predictions), a promotion the engine refused to serve (from the
 * decision actor's status), and the recent registry events.
 */
export class ModelsPanel {
  readonly root: HTMLElement;
  private readonly aliases = tableOf(['model', 'alias', 'version', 'since (UTC)'], 'aliases');
  private readonly serving = el('p', { id: 'model-serving', class: 'muted' }, 'no prediction yet');
  private readonly refusal = el('p', { id: 'model-refused', class: 'model-refused', role: 'status', hidden: true });
  /** Per decision actor, the promotion it refuses now. */
  private readonly refused = new Map<string, string>();
  private readonly events = tableOf(['time (UTC)', 'model', 'event', 'version', 'by', 'reason'], 'model-events');
  private readonly alias = new Map<string, ModelEvent>();
  private readonly recent: ModelEvent[] = [];
  private served = '';

  constructor() {
    this.root = panel('models', 'Models', this.serving, this.refusal, this.aliases.table, el('h3', {}, 'Recent registry events'), this.events.table);
    this.aliases.body.append(this.noAliases());
    this.events.body.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'no registry events yet')));
  }

  /**
   * Forgets what each alias points to (a new connection's snapshot says it again); the recent
   * registry events stay, by id, and the next event redraws.
   */
  resetAliases(): void {
    this.alias.clear();
  }

  /** Forgets what each alias points to and shows none (a new connection's snapshot is empty); the recent events stay. */
  clearAliases(): void {
    this.resetAliases();
    this.aliases.body.replaceChildren(this.noAliases());
  }

  /**
   * A decision actor's status: while it refuses the version its alias was promoted to, why shows
   * beside the served model; it goes once the actor serves what the alias names.
   */
  decision(a: ActorStatus): void {
    const line = refusedPromotionLine(a);
    if (line === null) this.refused.delete(a.id);
    else this.refused.set(a.id, line);
    this.drawRefused();
  }

  /** Forgets every refusal (a new connection's actors snapshot says them again). */
  clearRefused(): void {
    this.refused.clear();
    this.drawRefused();
  }

  private drawRefused(): void {
    const lines = [...this.refused.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, l]) => l);
    this.refusal.textContent = lines.join('\n');
    this.refusal.hidden = lines.length === 0;
  }

  private noAliases(): HTMLElement {
    return el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'no alias changes seen yet'));
  }

  event(e: ModelEvent): void {
    if (this.recent.some((r) => r.id === e.id)) return;
    this.recent.unshift(e);
    this.recent.sort((a, b) => b.ts - a.ts);
    this.recent.length = Math.min(this.recent.length, RECENT);
    applyAliasEvent(this.alias, e);
    if (this.alias.size === 0) this.aliases.body.replaceChildren(this.noAliases());
    else this.aliases.body.replaceChildren(
      ...[...this.alias.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, x]) => el('tr', {}, el('td', {}, x.name), el('td', {}, x.alias ?? ''), el('td', { class: 'num' }, `v${x.version}`), el('td', {}, fmt.time(x.ts)))),
    );
    this.events.body.replaceChildren(
      ...this.recent.map((x) =>
        el('tr', {}, el('td', {}, fmt.time(x.ts)), el('td', {}, x.name), el('td', {}, x.event), el('td', { class: 'num wrap' }, `v${x.version}${x.previousVersion === null ? '' : ` (was v${x.previousVersion})`}`), el('td', { class: 'wrap' }, x.actor), el('td', { class: 'wrap prose' }, x.reason)),
      ),
    );
  }

  prediction(p: Prediction): void {
    const s = `${p.model.name} v${p.model.version}`;
    if (s === this.served) return;
    this.served = s;
    this.serving.textContent = `Serving ${s} (strategy ${p.strategy}, features ${p.featureSpecHash.slice(0, 10)})`;
    this.serving.dataset['model'] = s;
  }
}
