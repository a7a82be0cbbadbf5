export { quoteOf } from '../../../streams/messages/symbol-quote.js';

/** `text` followed by its unit, or alone when the unit is not known. */
export function withUnit(text: string, unit: string | null | undefined): string {
  return unit === null || unit === undefined || unit === '' ? text : `${text} ${unit}`;
}
