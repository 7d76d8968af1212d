/**
 * The cost-day cache in the ledger's DynamoDB table: each closed day's cost records of one query (its `source`), as
 * JSON text in one item, or in several when they outgrow an item.
 */
import { randomUUID } from 'node:crypto';
import { loadCostRecords, type StoredCostRecord, storeCostRecord } from '../core/records.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostDayCache } from '../ports.ts';
import { type Item, type Key, LedgerTable, ledgerKeys, type WriteRequest } from './dynamodb-table.ts';

/**
 * Largest JSON text of cost records kept in one item. DynamoDB items are limited to 400 KB counting attribute names
 * and the keys; the rest of the margin covers those.
 */
export const COST_CHUNK_BYTES = 350_000;

/** Packs records into JSON arrays of at most `maxBytes` UTF-8 bytes each (one chunk at least, `[]` for none). */
function packRecords(records: readonly StoredCostRecord[], maxBytes = COST_CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const r of records) {
    const json = JSON.stringify(r);
    const size = Buffer.byteLength(json) + 1;
    if (size + 2 > maxBytes) {
      throw new RangeError(
        `one cost record is ${size} bytes as JSON, over the ${maxBytes}-byte chunk of a DynamoDB item (${r.usageType ?? r.service}, ${new Date(r.start).toISOString()})`,
      );
    }
    if (bytes + size > maxBytes) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(json);
    bytes += size;
  }
  chunks.push(`[${parts.join(',')}]`);
  return chunks;
}

/** Closed days of cost records, kept between cycles so that Cost Explorer is asked only for the days still open. */
export class DynamoDbCostDays extends LedgerTable implements CostDayCache {
  /**
   * A day is returned only when all its chunks are present and from the same write: a day caught half-overwritten
   * reads as not cached, so the caller asks the cost source again rather than using a mix of two writes.
   */
  async getDays(
    source: string,
    days: readonly string[],
  ): Promise<ReadonlyMap<string, readonly CostRecord[]>> {
    const wanted = [...new Set(days)];
    const heads = await this.batchGet(wanted.map((d) => ledgerKeys.costDay(source, d)));
    const headOf = new Map<string, Item>();
    for (const h of heads) headOf.set(String(h.sk), h);

    const moreKeys: Key[] = [];
    for (const day of wanted) {
      const head = headOf.get(ledgerKeys.costDay(source, day).sk);
      for (let n = 1; n < Number(head?.chunks ?? 1); n++) moreKeys.push(ledgerKeys.costDay(source, day, n));
    }
    const more = new Map<string, Item>();
    for (const m of await this.batchGet(moreKeys)) more.set(String(m.sk), m);

    const out = new Map<string, readonly CostRecord[]>();
    for (const day of wanted) {
      const head = headOf.get(ledgerKeys.costDay(source, day).sk);
      if (!head) continue;
      const texts = [String(head.records)];
      let complete = true;
      for (let n = 1; n < Number(head.chunks); n++) {
        const part = more.get(ledgerKeys.costDay(source, day, n).sk);
        if (!part || part.writeId !== head.writeId) {
          complete = false;
          break;
        }
        texts.push(String(part.records));
      }
      if (!complete) continue;
      out.set(
        day,
        texts.flatMap((t) => loadCostRecords(JSON.parse(t), `${this.tableName} cost day ${source} ${day}`)),
      );
    }
    return out;
  }

  /**
   * Writes each day as one item, or as several when its records exceed COST_CHUNK_BYTES. The extra chunks are
   * written before the first items that count them, so a reader never finds a day whose chunks are still to come.
   */
  async putDays(source: string, days: ReadonlyMap<string, readonly CostRecord[]>): Promise<void> {
    const writeId = randomUUID();
    const heads: WriteRequest[] = [];
    const more: WriteRequest[] = [];
    for (const [day, records] of days) {
      const chunks = packRecords(records.map(storeCostRecord));
      chunks.forEach((records, n) => {
        const item =
          n === 0
            ? { ...ledgerKeys.costDay(source, day), source, day, chunks: chunks.length, writeId, records }
            : { ...ledgerKeys.costDay(source, day, n), writeId, records };
        (n === 0 ? heads : more).push({ PutRequest: { Item: item } });
      });
    }
    await this.batchWrite(more);
    await this.batchWrite(heads);
  }
}
