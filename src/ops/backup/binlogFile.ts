import { open } from 'node:fs/promises';

/*
 * Raw binlog files as the server writes them: file names (`<base>.<sequence>`) and the event
 * headers, walked without decoding the events.
 */

/** A binlog file name as the server writes it: `<base>.<six or more digits>`. */
export const BINLOG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(\d{6,})$/;

/** The sequence number of a binlog file name (`mysql-bin.000042` → 42); NaN when there is none. */
export const seqOf = (file: string | null | undefined) => Number(/\.(\d+)$/.exec(file ?? '')?.[1] ?? NaN);
export const baseOf = (file: string) => file.replace(/\.\d+$/, '');
export const withSeq = (like: string, seq: number) => {
  const digits = /\.(\d+)$/.exec(like)?.[1]?.length ?? 6;
  return `${baseOf(like)}.${String(seq).padStart(digits, '0')}`;
};
export const bySeq = (a: string, b: string) => baseOf(a).localeCompare(baseOf(b)) || seqOf(a) - seqOf(b);

/** `mysql-bin.000007..000009` / `mysql-bin.000007`. */
export function fileRange(first: string, last: string): string {
  return first === last ? first : `${first}..${/\.(\d+)$/.exec(last)?.[1] ?? last}`;
}

// ---------------------------------------------------------------------------------------------
// Raw binlog files: magic, then events with a 19-byte header
//   timestamp u32le | type u8 | server_id u32le | event_size u32le | log_pos u32le | flags u16le

const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const HEADER = 19;
export const STOP_EVENT = 3;
export const ROTATE_EVENT = 4;
const FORMAT_DESCRIPTION_EVENT = 15;
const SCAN_CHUNK = 1024 * 1024;

export interface BinlogScan {
  /** End of the last complete event (a partial event being written is not counted). */
  offset: number;
  /** Newest event timestamp (UNIX seconds), 0 when none. */
  maxTimestamp: number;
  /** Type of the last complete event (ROTATE = 4 or STOP = 3 end a finished file). */
  lastType?: number;
  /** server_id of the format description event: the server that wrote the file. */
  serverId?: number;
  events: number;
  /** Not a binlog file (bad magic) or an impossible event size. */
  corrupt?: string;
}

/** Walks the event headers of a raw binlog file, from where a previous scan stopped. */
export async function scanBinlog(path: string, from?: BinlogScan): Promise<BinlogScan> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    // The tool rewrites a resumed file from its start: begin again if it shrank under us.
    const scan: BinlogScan = from && from.offset <= size ? { ...from } : { offset: 0, maxTimestamp: from?.maxTimestamp ?? 0, events: 0 };
    if (scan.corrupt) return scan;
    if (scan.offset === 0) {
      if (size < MAGIC.length) return scan;
      const magic = Buffer.alloc(MAGIC.length);
      await fh.read(magic, 0, MAGIC.length, 0);
      if (!magic.equals(MAGIC)) return { ...scan, corrupt: 'not a binlog file (bad magic)' };
      scan.offset = MAGIC.length;
    }
    let buf = Buffer.alloc(0);
    let bufStart = scan.offset;
    while (scan.offset + HEADER <= size) {
      if (scan.offset < bufStart || scan.offset + HEADER > bufStart + buf.length) {
        const want = Math.min(SCAN_CHUNK, size - scan.offset);
        const chunk = Buffer.alloc(want);
        const { bytesRead } = await fh.read(chunk, 0, want, scan.offset);
        buf = chunk.subarray(0, bytesRead);
        bufStart = scan.offset;
        if (bytesRead < HEADER) break;
      }
      const p = scan.offset - bufStart;
      const ts = buf.readUInt32LE(p);
      const type = buf[p + 4]!;
      const serverId = buf.readUInt32LE(p + 5);
      const len = buf.readUInt32LE(p + 9);
      if (len < HEADER) return { ...scan, corrupt: `impossible event size ${len} at byte ${scan.offset}` };
      if (scan.offset + len > size) break; // still being written
      if (type === FORMAT_DESCRIPTION_EVENT && scan.serverId === undefined) scan.serverId = serverId;
      if (ts > scan.maxTimestamp) scan.maxTimestamp = ts;
      scan.lastType = type;
      scan.events++;
      scan.offset += len;
    }
    return scan;
  } finally {
    await fh.close();
  }
}
