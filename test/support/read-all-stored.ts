import type { Bus, StoredMessage } from '../../streams/bus.js';

/**
 * Every message stored so far on the subjects `filterSubject` matches, in stream order: the
 * tests' read of a stream's record (the orders and fills a run published, a model's events),
 * page by page with `Bus.readFrom`, so it reads whatever the count. Rejects as `readFrom` does
 * (`StreamNotFoundError`). `pageSize`: messages per `readFrom` (its default unless given).
 */
export async function readAllStored(bus: Pick<Bus, 'readFrom'>, stream: string, filterSubject: string, pageSize?: number): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (let fromSeq = 1; ; ) {
    const page = await bus.readFrom(stream, filterSubject, pageSize === undefined ? { fromSeq } : { fromSeq, max: pageSize });
    out.push(...page.messages);
    const last = page.messages.at(-1);
    if (page.remaining === 0 || last === undefined) return out;
    fromSeq = last.streamSeq + 1;
  }
}
