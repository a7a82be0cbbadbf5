import type { LabelBalance, QualityReport } from './quality-report.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const num = (x: number | null): string => (x === null ? '—' : Number(x.toPrecision(6)).toString());

/** quality.json as a page a person reads: a column table and the label balance tables. */
export function qualityMarkdown(q: QualityReport, title: string): string {
  const balanceRows = (rec: Readonly<Record<string, LabelBalance>>): string[] =>
    Object.entries(rec).map(([k, b]) => `| ${k} | ${b.rows} | ${b.counts.map((c, i) => `${c} (${pct(b.shares[i] as number)})`).join(' | ')} |`);
  const head = `| | rows | ${q.labels.classes.join(' | ')} |`;
  const sep = `|---|---:|${q.labels.classes.map(() => '---:').join('|')}|`;
  const flagged = q.columns.filter((c) => c.missing > 0 || c.outliers > 0);
  return [
    `# Data quality: ${title}`,
    '',
    `${q.rows} rows. Outlier rule: ${q.outlierRule}.`,
    '',
    ...(q.warnings.length === 0 ? [] : ['## Warnings', '', ...q.warnings.map((w) => `- ${w}`), '']),
    flagged.length === 0 ? 'No column has missing values or outliers.' : `Columns with missing values or outliers: ${flagged.map((c) => c.column).join(', ')}.`,
    '',
    '## Columns',
    '',
    '| column | missing | outliers | mean | std | min | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...q.columns.map((c) => `| ${c.column} | ${c.missing} (${pct(c.missingShare)}) | ${c.outliers} (${pct(c.outlierShare)}) | ${num(c.mean)} | ${num(c.std)} | ${num(c.min)} | ${num(c.max)} |`),
    '',
    '## Label balance',
    '',
    head,
    sep,
    `| all | ${q.labels.overall.rows} | ${q.labels.overall.counts.map((c, i) => `${c} (${pct(q.labels.overall.shares[i] as number)})`).join(' | ')} |`,
    ...balanceRows(q.labels.bySplit),
    '',
    '### Per symbol',
    '',
    head,
    sep,
    ...balanceRows(q.labels.bySymbol),
    '',
    '### Per asset class',
    '',
    head,
    sep,
    ...balanceRows(q.labels.byAssetClass),
    '',
  ].join('\n');
}
