import { CompressionType, Type, compressionRegistry, tableFromIPC } from 'apache-arrow';
import type { Table, TimeUnit } from 'apache-arrow';
import { QuantgateError, describeError } from '../core/errors.ts';
import { decodeLz4Frames } from './lz4-frame.ts';

/** Freqtrade's feather columns, in its own order (`date` is the candle's open time). */
export const FEATHER_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;

// Freqtrade writes feather with pandas' default LZ4 compression; apache-arrow reads it once a
// codec is registered. ZSTD stays unregistered: reading it fails with the error below.
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: decodeLz4Frames });

/** Raw column values of one feather file: timestamp ms (possibly fractional → rejected later) and floats. */
export interface FeatherColumns {
  readonly rows: number;
  /** `[timestamp, open, high, low, close, volume]` of row `i`. */
  row(i: number): number[];
}

function bad(path: string, why: string): QuantgateError {
  return new QuantgateError('DATA_INVALID', `${path}: ${why}`, { file: path });
}

/** An Arrow timestamp in `unit` (SECOND 0, MILLISECOND 1, MICROSECOND 2, NANOSECOND 3) as ms; fractional ms stay fractional. */
function toMs(v: bigint, unit: TimeUnit): number {
  switch (unit as number) {
    case 0:
      return Number(v) * 1000;
    case 1:
      return Number(v);
    case 2:
      return v % 1000n === 0n ? Number(v / 1000n) : Number(v) / 1000;
    default:
      return v % 1_000_000n === 0n ? Number(v / 1_000_000n) : Number(v) / 1e6;
  }
}

function openTable(path: string, bytes: Uint8Array): Table {
  const head = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  if (head.startsWith('FEA1'))
    throw bad(
      path,
      'feather v1 file: only feather v2 (Arrow IPC) is supported; rewrite it with a current pandas',
    );
  if (head !== 'ARROW1')
    throw bad(path, 'not a feather v2 (Arrow IPC) file: it does not start with "ARROW1"');
  try {
    return tableFromIPC(bytes);
  } catch (e) {
    const msg = describeError(e);
    if (/compressed but codec not found/.test(msg))
      throw bad(
        path,
        'ZSTD-compressed feather is not supported (LZ4 and uncompressed are); convert it, e.g. `freqtrade convert-data --format-from feather --format-to json`',
      );
    throw bad(
      path,
      `not a readable feather v2 (Arrow IPC) file, truncated or damaged (${msg.slice(0, 160)})`,
    );
  }
}

/**
 * Reads a Freqtrade feather candle file (Arrow IPC file format, LZ4 or uncompressed) into raw
 * rows. Checks the columns; the values are validated by the caller like any candle row.
 */
export function readFeatherColumns(path: string, bytes: Uint8Array): FeatherColumns {
  const table = openTable(path, bytes);
  const names = table.schema.fields.map((f) => f.name);
  const missing = FEATHER_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0)
    throw bad(
      path,
      `expected columns ${FEATHER_COLUMNS.join(',')}, got ${names.join(',') || 'none'} (missing ${missing.join(',')})`,
    );
  const field = (name: string) => table.schema.fields.find((f) => f.name === name)!;
  const date = field('date');
  const numeric = (t: { typeId: Type }) => t.typeId === Type.Float || t.typeId === Type.Int;
  for (const c of FEATHER_COLUMNS.slice(1))
    if (!numeric(field(c).type))
      throw bad(path, `column ${c} has type ${String(field(c).type)}, expected a number`);
  const dateType = date.type as { typeId: Type; unit?: TimeUnit };
  if (dateType.typeId !== Type.Timestamp && dateType.typeId !== Type.Int)
    throw bad(path, `column date has type ${String(date.type)}, expected a timestamp`);

  const column = (name: string) => table.getChild(name)!;
  const dates = column('date').toArray() as ArrayLike<number | bigint>;
  const values = FEATHER_COLUMNS.slice(1).map((c) => column(c).toArray() as ArrayLike<number | bigint>);
  // A null (validity bitmap) reads as 0 in the raw arrays: such rows become NaN and fail validation.
  const nullRows = new Set<number>();
  for (const name of FEATHER_COLUMNS) {
    const col = column(name);
    if (col.nullCount > 0) for (let i = 0; i < col.length; i++) if (!col.isValid(i)) nullRows.add(i);
  }
  const unit = dateType.typeId === Type.Timestamp ? (dateType.unit as TimeUnit) : (1 as TimeUnit);
  return {
    rows: dates.length,
    row(i) {
      if (nullRows.has(i)) return [NaN, NaN, NaN, NaN, NaN, NaN];
      const d = dates[i];
      const t = typeof d === 'bigint' ? toMs(d, unit) : toMs(BigInt(Math.trunc(d)), unit);
      return [t, ...values.map((v) => Number(v[i]))];
    },
  };
}
