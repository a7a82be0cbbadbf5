/** One label matcher of a selector: `metric{label op "value"}` (`metric` undefined for `{…}` without a name before it). */
export type LabelMatcher = Readonly<{ metric: string | undefined; label: string; op: '=' | '!=' | '=~' | '!~'; value: string }>;

const STRING = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + '`[^`]*`';
const SELECTOR = new RegExp(String.raw`([a-zA-Z_:][a-zA-Z0-9_:]*)?\{((?:[^}"'` + '`' + `]|${STRING})*)\}`, 'g');
const MATCHER = new RegExp(String.raw`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(${STRING})`, 'g');

/** A PromQL string literal's value: double-quoted ones with Go's escapes (`\\` → `\`), raw back-quoted ones as they are. */
const unquote = (s: string): string => (s.startsWith('`') ? s.slice(1, -1) : s.slice(1, -1).replace(/\\(.)/g, '$1'));

/**
 * The label matchers of a PromQL expression's selectors, in order. A selector's metric is the name
 * right before its braces (`foo{…}`; `foo {…}` is read as `{…}`), or its `__name__="…"` matcher. A small reader for the rule files' tests, not a
 * PromQL parser: it assumes well-formed input.
 *
 * @example promqlLabelMatchers('up{job=~"a|b"} == 0') // [{ metric: 'up', label: 'job', op: '=~', value: 'a|b' }]
 */
export function promqlLabelMatchers(expr: string): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (const sel of expr.matchAll(SELECTOR)) {
    const body = sel[2] ?? '';
    const matchers = [...body.matchAll(MATCHER)].map((m) => ({ label: m[1] as string, op: m[2] as LabelMatcher['op'], value: unquote(m[3] as string) }));
    const metric = sel[1] ?? matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
    for (const m of matchers) if (m.label !== '__name__') out.push({ metric, ...m });
  }
  return out;
}

/**
 * The values a matcher names, where its value is literal: `=` / `!=` one value, `=~` / `!~` an
 * alternation of plain words (`live|subscribed|stopped`); undefined for any other regex.
 */
export function literalValues(m: LabelMatcher): string[] | undefined {
  if (m.op === '=' || m.op === '!=') return [m.value];
  return /^[\w-]+(?:\|[\w-]+)*$/.test(m.value) ? m.value.split('|') : undefined;
}
