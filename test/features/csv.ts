import { readFileSync } from 'node:fs';

export type Csv = Readonly<{ header: readonly string[]; rows: readonly (readonly string[])[] }>;

/** Splits simple CSV text (no quoted fields, as in the shared data files) into header and rows. */
export const parseCsv = (text: string): Csv => {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const [head, ...rest] = lines;
  if (head === undefined) throw new Error('empty CSV');
  return { header: head.split(','), rows: rest.map((l) => l.split(',')) };
};

export const readCsv = (path: string): Csv => parseCsv(readFileSync(path, 'utf8'));

/** The index of `name` in the header; throws when absent so a renamed column fails the test. */
export const column = (csv: Csv, name: string): number => {
  const i = csv.header.indexOf(name);
  if (i < 0) throw new Error(`column ${name} not in ${csv.header.join(',')}`);
  return i;
};
