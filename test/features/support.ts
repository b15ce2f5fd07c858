import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Candle } from '../../src/core/types.ts';
import { featuresSchema } from '../../src/config/index.ts';
import type { FeaturesConfig } from '../../src/config/index.ts';

export { rng } from '../support/rng.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const SHARED_DATA = '/work/shared/data/binance';

/** Tiny strict CSV parse (timestamp,open,high,low,close,volume with a header line). */
export function parseCandles(text: string): Candle[] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [timestamp, open, high, low, close, volume] = line.split(',').map(Number);
      return { timestamp, open, high, low, close, volume };
    });
}

/** Real Binance candles bundled with the repository (the candle store fixtures, else the simulator's). */
export function fixtureCandles(tf: '5m' | '1h', symbol: 'BTCUSDT' | 'ETHUSDT' | 'SOLUSDT'): Candle[] {
  const candidates = [
    join(FIXTURES, 'candles', 'binance', tf, `${symbol}.csv`),
    join(FIXTURES, 'messages', 'candles', tf, `${symbol}.csv`),
  ];
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`no fixture for ${symbol} ${tf} (looked in ${candidates.join(', ')})`);
  return parseCandles(readFileSync(path, 'utf8'));
}

export function sharedCandles(tf: string, symbol: string): Candle[] {
  return parseCandles(readFileSync(join(SHARED_DATA, tf, `${symbol}.csv`), 'utf8'));
}

export const defaultFeatures = (): FeaturesConfig => featuresSchema.parse({});

/** A smaller feature set so short fixtures leave many valid rows (warm-up ≈ 120). */
export const shortFeatures = (): FeaturesConfig =>
  featuresSchema.parse({
    returnLags: [1, 4],
    volatilityWindow: 12,
    rsiPeriod: 7,
    macd: { fast: 5, slow: 13, signal: 4 },
    bollinger: { period: 10, stdDev: 2 },
    atrPeriod: 7,
    volumeWindow: 16,
  });

/** The default settings with every optional group on (HAR, range, trend) at their default spans. */
export const fullFeatures = (): FeaturesConfig =>
  featuresSchema.parse({ har: { enabled: true }, range: { enabled: true }, trend: { enabled: true } });

/** shortFeatures with every optional group on, at short spans (1 h fixtures of 4.7k candles stay useful). */
export const shortFullFeatures = (): FeaturesConfig =>
  featuresSchema.parse({
    ...shortFeatures(),
    overrides: undefined,
    har: { enabled: true, hours: [1, 4, 24] },
    range: { enabled: true, window: 12 },
    trend: { enabled: true, lookbacks: [3, 9], donchian: 15 },
  });

/** Row i of a feature matrix as a plain array. */
export function rowOf(rows: Float32Array, width: number, i: number): number[] {
  return Array.from(rows.subarray(i * width, (i + 1) * width));
}

/** Bitwise equality of two float32 arrays (NaN equals NaN). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ia = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ia.length; i++) if (ia[i] !== ib[i]) return false;
  return true;
}
