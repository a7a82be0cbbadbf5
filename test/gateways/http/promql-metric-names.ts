/** PromQL words that are not metric names where a bare identifier stands. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/**
 * The metric names a PromQL expression selects, in order of first use: bare selectors (`foo`,
 * `foo{…}`, `foo[5m]`) and `{__name__="foo"}`. Functions and aggregations (an identifier followed
 * by `(`), keywords, label names and values, grouping labels, durations and numbers are left out.
 * A small reader for the rule files' tests, not a PromQL parser: it assumes well-formed input.
 */
export function promqlMetricNames(expr: string): string[] {
  const names: string[] = [];
  const add = (n: string): void => {
    if (!names.includes(n)) names.push(n);
  };
  for (const m of expr.matchAll(/__name__\s*=\s*"([^"]*)"/g)) add(m[1] as string);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ');
  for (const m of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()/g)) {
    // The lookahead can stop a function's name short of its `(` (`rat` of `rate(`): skip a name that runs on.
    const end = (m.index ?? 0) + m[0].length;
    if (/[\w:]/.test(bare.charAt(end))) continue;
    if (!KEYWORDS.has(m[0].toLowerCase())) add(m[0]);
  }
  return names;
}
