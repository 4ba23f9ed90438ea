import { concatBytes } from "../../shared/bytes";
import { DbnDecodeError, HEADER_SIZE, RType } from "../dbn/constants";
import { headerLength } from "../dbn/metadata";
import { HistoricalError, type HistoricalClient, type RangeRequest } from "./historical-client";

/**
 * A get_range download that survives a broken or stalled stream: it keeps every complete
 * record, asks again from the index time of the last one, drops what it already has at that
 * time and appends the rest. The overlap is the check: the resumed stream must repeat exactly
 * the records kept at the seam's time (no duplicate) and go on from there (no gap).
 */

export interface DownloadProgress {
  bytes: number;
  records: number;
  /** Index time (ns) of the newest record kept. */
  lastNs: bigint | undefined;
}

export interface DownloadOptions {
  /** Resumes in a row that bring no new record before giving up (each waits longer); 5. */
  maxResumes?: number;
  /** After every chunk kept; may throw to stop the download (too large, say). */
  onProgress?(p: DownloadProgress): void;
  onResume?(r: { attempt: number; delayMs: number; fromNs: bigint | undefined; reason: string; bytes: number }): void;
}

const BY_RECV_AT_32 = new Set<number>([
  RType.MBP_0,
  RType.MBP_1,
  RType.MBP_10,
  RType.TCBBO,
  RType.CMBP_1,
  RType.CBBO_1S,
  RType.CBBO_1M,
  RType.BBO_1S,
  RType.BBO_1M,
]);
const BY_RECV_AT_16 = new Set<number>([RType.STATUS, RType.INSTRUMENT_DEF, RType.IMBALANCE, RType.STATISTICS]);

/** Where the time the service filters `start` on sits: ts_recv where the record has one, else ts_event. */
function indexTsOffset(rtype: number): number {
  if (BY_RECV_AT_32.has(rtype)) return 32;
  if (BY_RECV_AT_16.has(rtype)) return 16;
  return rtype === RType.MBO ? 40 : 8;
}

/** Records kept at the seam's time, as a multiset of their bytes. */
function seamRecords(parts: readonly Uint8Array[], from: number, total: number): Map<string, number> {
  const tail: Uint8Array[] = [];
  for (let i = parts.length - 1, at = total; i >= 0 && at > from; i--) {
    const p = parts[i]!;
    tail.unshift(p.subarray(Math.max(0, from - (at - p.length))));
    at -= p.length;
  }
  const bytes = concatBytes(tail);
  const seen = new Map<string, number>();
  for (let pos = 0; pos < bytes.length; pos += bytes[pos]! * 4) {
    const key = Buffer.from(bytes.subarray(pos, pos + bytes[pos]! * 4)).toString("base64");
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

export async function downloadRange(
  client: HistoricalClient,
  req: RangeRequest,
  opts: DownloadOptions = {},
): Promise<{ bytes: Uint8Array; records: number; resumes: number }> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let records = 0;
  let lastNs: bigint | undefined;
  /** Output offset where the records at lastNs begin. */
  let runStart = 0;
  let runCount = 0;
  let inOrder = true;
  let resumes = 0;
  let fruitless = 0;
  const keep = (b: Uint8Array) => {
    if (b.length === 0) return;
    parts.push(b);
    total += b.length;
  };
  for (;;) {
    let seam = lastNs === undefined ? undefined : seamRecords(parts, runStart, total);
    const limit = req.limit === undefined ? undefined : req.limit - records + runCount;
    const res = await client.getRange(lastNs === undefined ? req : { ...req, start: lastNs, limit });
    const reader = res.body.getReader();
    const before = records;
    let carry: Uint8Array = new Uint8Array(0);
    let header = true;
    let cut: Error | undefined;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          cut = err as Error;
          break;
        }
        if (chunk.done) break;
        const buf = carry.length ? concatBytes([carry, chunk.value]) : chunk.value;
        let pos = 0;
        if (header) {
          const len = headerLength(buf);
          if (len === undefined || buf.length < len) {
            carry = buf;
            continue;
          }
          // Only the first answer's header is kept: a resumed one describes the rest only.
          if (total === 0) keep(buf.subarray(0, len));
          pos = len;
          header = false;
        }
        const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        let from = pos;
        while (pos < buf.length) {
          const size = buf[pos]! * 4;
          if (size < HEADER_SIZE) throw new DbnDecodeError(`corrupt record: length ${size} bytes`, total + pos - from);
          if (pos + size > buf.length) break;
          const ts = view.getBigUint64(pos + indexTsOffset(buf[pos + 1]!), true);
          if (seam && ts === lastNs) {
            const key = Buffer.from(buf.subarray(pos, pos + size)).toString("base64");
            const n = seam.get(key) ?? 0;
            if (n > 0) {
              // Already kept before the cut: skip it.
              if (n === 1) seam.delete(key);
              else seam.set(key, n - 1);
              keep(buf.subarray(from, pos));
              pos += size;
              from = pos;
              continue;
            }
          } else if (seam) {
            if (seam.size > 0 || ts < lastNs!)
              throw new HistoricalError(
                `Databento Historical: the resumed download does not continue the records received before the break at ${lastNs} ns; nothing was kept`,
                0,
                undefined,
                "resume_mismatch",
              );
            seam = undefined;
          }
          if (lastNs !== undefined && ts < lastNs) inOrder = false;
          if (ts !== lastNs) {
            lastNs = ts;
            runStart = total + pos - from;
            runCount = 0;
          }
          runCount++;
          records++;
          pos += size;
        }
        keep(buf.subarray(from, pos));
        carry = buf.slice(pos);
        opts.onProgress?.({ bytes: total, records, lastNs });
      }
    } finally {
      void reader.cancel().catch(() => {});
    }
    if (!cut && !header && carry.length === 0) {
      if (seam?.size)
        throw new HistoricalError(
          "Databento Historical: the resumed download ended without the records received before the break; nothing was kept",
          0,
          undefined,
          "resume_mismatch",
        );
      return { bytes: concatBytes(parts), records, resumes };
    }
    const reason = cut?.message ?? `the stream ended inside a ${header ? "header" : "record"}`;
    // Resuming by time is only sound when records come in time order, as the service sends them.
    if (!inOrder)
      throw new HistoricalError(
        `Databento Historical: ${reason}; records were out of time order, so the download cannot resume`,
        0,
      );
    fruitless = records > before ? 0 : fruitless + 1;
    if (fruitless > (opts.maxResumes ?? 5))
      throw new HistoricalError(
        `Databento Historical: the download broke ${fruitless} times in a row without new data: ${reason}`,
        0,
      );
    const delayMs = client.backoffMs(Math.max(0, fruitless - 1));
    opts.onResume?.({ attempt: ++resumes, delayMs, fromNs: lastNs, reason, bytes: total });
    await client.sleep(delayMs);
  }
}
