import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
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
import { afterAll, describe, expect, it } from 'vitest';
import { QuantgateError } from '../../src/core/errors.ts';
import {
  appendCandles,
  candlePath,
  freqtradePaths,
  loadSeries,
  readFreqtradeFile,
  readStoredSeries,
} from '../../src/exchange/index.ts';
import { decodeLz4Frames } from '../../src/exchange/lz4-frame.ts';
import { csvSource } from '../../src/backtest/csv-source.ts';
import { loadDatasetSeries } from '../../src/models/pipeline-data.ts';
import { configSchema } from '../../src/config/index.ts';
import { labelParamsFor } from '../../src/features/index.ts';
import { createLogger } from '../../src/core/logger.ts';

const FIX = new URL('../fixtures/freqtrade', import.meta.url).pathname;
const SHARED = new URL('../../../shared/data/freqtrade', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'qg-freqtrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasCli = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const jsonRows = (p: string): number[][] => JSON.parse(readFileSync(p, 'utf8')) as number[][];

/** A feather v2 file as Freqtrade lays it out (columns and types), from rows `[ms, o, h, l, c, v]`. */
function writeFeather(
  path: string,
  rows: number[][],
  o: { names?: string[]; compression?: CompressionType } = {},
): void {
  const names = o.names ?? ['date', 'open', 'high', 'low', 'close', 'volume'];
  const col = (k: number) =>
    vectorFromArray(
      rows.map((r) => r[k]),
      new Float64(),
    );
  const t = new Table({
    [names[0]]: vectorFromArray(
      rows.map((r) => r[0]),
      new Timestamp(TimeUnit.NANOSECOND, 'UTC'),
    ),
    ...Object.fromEntries(names.slice(1).map((n, i) => [n, col(i + 1)])),
  });
  const opts = o.compression === undefined ? {} : { compressionType: o.compression };
  writeFileSync(path, RecordBatchFileWriter.writeAll(t, opts).toUint8Array(true));
}

function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    expect((e as QuantgateError).code).toBe('DATA_INVALID');
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a DATA_INVALID error');
}

describe('Freqtrade candle files', () => {
  const featherFix = join(FIX, 'binance', 'UNITTEST_BTC-5m.feather');
  const jsonFix = join(FIX, 'binance', 'UNITTEST_BTC-5m.json');

  it('maps pairs to Freqtrade file names (spot and futures)', () => {
    const p = freqtradePaths('ud', 'binance', '5m', 'BTC/USDT');
    expect(p[0]).toBe(join('ud', 'binance', 'BTC_USDT-5m.feather'));
    expect(p).toContain(join('ud', 'binance', 'BTC_USDT-5m.json'));
    expect(p).toContain(join('ud', 'BTC_USDT-5m.feather'));
    expect(freqtradePaths('ud', 'hyperliquid', '1h', 'BTC/USDC:USDC')[0]).toBe(
      join('ud', 'hyperliquid', 'futures', 'BTC_USDC_USDC-1h-futures.feather'),
    );
  });

  it('reads the LZ4-compressed feather fixture to the same candles as its json twin', () => {
    // The fixture really is compressed: its buffers carry LZ4 frame magic numbers.
    expect(readFileSync(featherFix).includes(Buffer.from([0x04, 0x22, 0x4d, 0x18]))).toBe(true);
    const f = readFreqtradeFile(featherFix, { timeframe: '5m' });
    const j = readFreqtradeFile(jsonFix, { timeframe: '5m' });
    const raw = jsonRows(jsonFix);
    expect(f.candles.length).toBe(raw.length);
    expect(f.candles).toEqual(j.candles);
    expect(f.candles[0]).toEqual({
      timestamp: raw[0][0],
      open: raw[0][1],
      high: raw[0][2],
      low: raw[0][3],
      close: raw[0][4],
      volume: raw[0][5],
    });
    expect(new Date(f.candles[0].timestamp).toISOString()).toBe('2018-01-10T04:55:00.000Z');
    expect(f.gaps).toEqual([]);
    expect(f.skipped).toBe(0);
  });

  it.skipIf(!existsSync(SHARED))("reads Freqtrade's own feather file (../shared) like its json", () => {
    const f = readFreqtradeFile(join(SHARED, 'UNITTEST_BTC-5m.feather'));
    const raw = jsonRows(join(SHARED, 'UNITTEST_BTC-5m.json'));
    expect(f.candles.length).toBe(5760);
    expect(raw.length).toBe(5760);
    let worst = 0;
    f.candles.forEach((c, i) => {
      expect(c.timestamp).toBe(raw[i][0]);
      const vals = [c.open, c.high, c.low, c.close, c.volume];
      // pandas' float round trip moved some values by one ulp; nothing more.
      vals.forEach(
        (v, k) => (worst = Math.max(worst, Math.abs(v - raw[i][k + 1]) / Math.abs(raw[i][k + 1]))),
      );
    });
    expect(worst).toBeLessThan(1e-15);
  });

  it('loads a series through the shared loader in freqtrade and auto formats; csv does not see it', () => {
    const a = loadSeries(FIX, 'binance', '5m', 'UNITTEST/BTC', { format: 'freqtrade' });
    expect(a.source).toBe(featherFix);
    expect(a.candles.length).toBe(480);
    expect(loadSeries(FIX, 'binance', '5m', 'XRP/ETH').source).toBe(join(FIX, 'binance', 'XRP_ETH-5m.json'));
    expect(() => loadSeries(FIX, 'binance', '5m', 'UNITTEST/BTC', { format: 'csv' })).toThrow(
      /no 5m candles for UNITTEST\/BTC/,
    );
    expect(readStoredSeries(FIX, 'binance', '5m', 'UNITTEST/BTC', { format: 'csv' })).toBeNull();
  });

  it('auto prefers the CSV store when both exist; freqtrade forces the Freqtrade file', () => {
    const d = join(dir, 'both');
    mkdirSync(join(d, 'binance'), { recursive: true });
    copyFileSync(jsonFix, join(d, 'binance', 'UNITTEST_BTC-5m.json'));
    const csvCandles = readFreqtradeFile(jsonFix).candles.slice(0, 10);
    appendCandles(candlePath(d, 'binance', '5m', 'UNITTEST/BTC'), csvCandles);
    expect(loadSeries(d, 'binance', '5m', 'UNITTEST/BTC').candles.length).toBe(10);
    expect(loadSeries(d, 'binance', '5m', 'UNITTEST/BTC', { format: 'freqtrade' }).candles.length).toBe(480);
  });

  it('feeds the backtest source and the training data loader', async () => {
    expect(csvSource(FIX, 'binance', false, 'freqtrade').load('UNITTEST/BTC', '5m')?.length).toBe(480);
    expect(csvSource(FIX, 'binance', false, 'csv').load('UNITTEST/BTC', '5m')).toBeNull();
    const config = configSchema.parse({ exchange: { name: 'binance', symbols: ['UNITTEST/BTC'] } });
    const { series } = await loadDatasetSeries({
      dataDir: FIX,
      exchange: 'binance',
      timeframe: '5m',
      symbols: ['UNITTEST/BTC'],
      features: config.features,
      labels: labelParamsFor(config, '5m'),
      logger: createLogger({ level: 'silent' }),
      format: 'freqtrade',
    });
    expect(series[0].timestamps.length).toBe(480);
  });

  describe('bad files name the file and row', () => {
    const rows = jsonRows(jsonFix).slice(0, 50);

    it('truncated json and feather', () => {
      const j = join(dir, 'trunc-5m.json');
      const text = readFileSync(jsonFix, 'utf8');
      writeFileSync(j, text.slice(0, Math.floor(text.length / 2)));
      expectInvalid(() => readFreqtradeFile(j), /trunc-5m\.json: not valid JSON/);
      const f = join(dir, 'trunc-5m.feather');
      const bytes = readFileSync(featherFix);
      writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
      expectInvalid(() => readFreqtradeFile(f), /trunc-5m\.feather: not a readable feather v2/);
      writeFileSync(f, Buffer.from('PAR1 not arrow at all'));
      expectInvalid(() => readFreqtradeFile(f), /does not start with "ARROW1"/);
    });

    it('wrong columns', () => {
      const f = join(dir, 'cols-5m.feather');
      writeFeather(f, rows, { names: ['timestamp', 'open', 'high', 'low', 'close', 'volume'] });
      expectInvalid(
        () => readFreqtradeFile(f),
        /cols-5m\.feather: expected columns date,open,high,low,close,volume, got timestamp,.*missing date/,
      );
      const j = join(dir, 'cols-5m.json');
      writeFileSync(j, JSON.stringify([rows[0], rows[1].slice(0, 5)]));
      expectInvalid(() => readFreqtradeFile(j), /cols-5m\.json: row 2: expected 6 columns/);
      writeFileSync(j, JSON.stringify({ data: rows }));
      expectInvalid(() => readFreqtradeFile(j), /expected a JSON array/);
    });

    it('decreasing timestamps, broken OHLC and negative values', () => {
      const swapped = [...rows];
      [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
      const f = join(dir, 'order-5m.feather');
      writeFeather(f, swapped);
      expectInvalid(
        () => readFreqtradeFile(f),
        /order-5m\.feather: row 12: timestamp \d+ is not after the previous row's/,
      );
      const j = join(dir, 'order-5m.json');
      writeFileSync(j, JSON.stringify(swapped));
      expectInvalid(() => readFreqtradeFile(j), /order-5m\.json: row 12: timestamp/);
      const broken = rows.map((r) => [...r]);
      broken[3][3] = broken[3][2] * 2; // low above high
      broken[7][5] = -1;
      writeFileSync(j, JSON.stringify(broken));
      expectInvalid(() => readFreqtradeFile(j), /row 4: low .* is above high/);
      // skipBadRows skips and counts, as for CSV.
      const r = readFreqtradeFile(j, { skipBadRows: true });
      expect(r.skipped).toBe(2);
      expect(r.candles.length).toBe(48);
    });

    it.skipIf(!hasCli('zstd'))('a ZSTD-compressed feather gets a clear error', () => {
      compressionRegistry.set(CompressionType.ZSTD, {
        encode: (data) => new Uint8Array(execFileSync('zstd', ['-c', '-q'], { input: data })),
      });
      const f = join(dir, 'zstd-5m.feather');
      try {
        writeFeather(f, rows, { compression: CompressionType.ZSTD });
      } finally {
        compressionRegistry.set(CompressionType.ZSTD, {});
      }
      expectInvalid(() => readFreqtradeFile(f), /zstd-5m\.feather: ZSTD-compressed feather is not supported/);
    });
  });
});

describe('LZ4 frame decoder', () => {
  // Repetitive and random parts: both literal runs and overlapping matches.
  const sample = (): Buffer => {
    const parts: Buffer[] = [];
    let x = 12345;
    for (let i = 0; i < 3000; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      parts.push(
        i % 3 === 0 ? Buffer.from(`candle ${i % 17} `.repeat(1 + (x % 5))) : Buffer.from([x & 255, x >> 8]),
      );
    }
    return Buffer.concat(parts);
  };

  it.skipIf(!hasCli('lz4'))(
    'decodes what the lz4 tool writes (independent and linked blocks, checksums)',
    () => {
      const data = sample();
      for (const flags of [[], ['-BD'], ['-BX', '-B4'], ['--no-frame-crc']]) {
        const z = execFileSync('lz4', ['-c', '-q', ...flags], { input: data });
        expect(Buffer.from(decodeLz4Frames(z)).equals(data)).toBe(true);
      }
    },
  );

  it('refuses non-LZ4 and truncated input', () => {
    expect(() => decodeLz4Frames(Buffer.from('hello world'))).toThrow(/not an LZ4 frame/);
    // A frame with one compressed block announcing more bytes than there are.
    const head = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x10, 0x00, 0x00, 0x00, 0x11]);
    expect(() => decodeLz4Frames(head)).toThrow(/truncated/);
  });
});
