/**
 * Rebuilds test/fixtures/freqtrade from ../shared/data/freqtrade: the first rows of Freqtrade's
 * own test pairs, as json (its layout, values unchanged) and as LZ4-compressed feather (Arrow IPC
 * file, compressed by the `lz4` command-line tool, as pandas/freqtrade write it by default).
 * Run: npx tsx scripts/freqtrade-fixtures.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompressionType,
  Float64,
  RecordBatchFileWriter,
  Table,
  TimeUnit,
  Timestamp,
  compressionRegistry,
  vectorFromArray,
} from 'apache-arrow';

const SRC = '../shared/data/freqtrade';
const OUT = 'test/fixtures/freqtrade/binance';
const ROWS: Record<string, number> = { 'UNITTEST_BTC-5m': 480, 'XRP_ETH-5m': 288 };

compressionRegistry.set(CompressionType.LZ4_FRAME, {
  encode: (data) => new Uint8Array(execFileSync('lz4', ['-c', '-q', '-9'], { input: data })),
});

mkdirSync(OUT, { recursive: true });
for (const [name, n] of Object.entries(ROWS)) {
  const rows = (JSON.parse(readFileSync(join(SRC, `${name}.json`), 'utf8')) as number[][]).slice(0, n);
  // Freqtrade's own json layout: one array of [ms, o, h, l, c, v] rows.
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(rows));
  if (name !== 'UNITTEST_BTC-5m') continue;
  const col = (k: number) =>
    vectorFromArray(
      rows.map((r) => r[k]),
      new Float64(),
    );
  // Freqtrade's columns: `date` is a UTC nanosecond timestamp (the builder takes epoch ms).
  const t = new Table({
    date: vectorFromArray(
      rows.map((r) => r[0]),
      new Timestamp(TimeUnit.NANOSECOND, 'UTC'),
    ),
    open: col(1),
    high: col(2),
    low: col(3),
    close: col(4),
    volume: col(5),
  });
  const writer = RecordBatchFileWriter.writeAll(t, { compressionType: CompressionType.LZ4_FRAME });
  writeFileSync(join(OUT, `${name}.feather`), writer.toUint8Array(true));
  console.log(`${name}: ${rows.length} rows`);
}
