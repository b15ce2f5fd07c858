import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvSource } from '../../src/backtest/csv-source.ts';
import { loadBacktestData } from '../../src/backtest/data.ts';
import { loadConfigSources } from '../../src/config/index.ts';
import type { ModelTimeframe } from '../../src/core/types.ts';
import { maxAbsReturnFor } from '../../src/models/index.ts';

const root = mkdtempSync(join(tmpdir(), 'qg-bt-outliers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2021, 5, 1);
const M5 = 300_000;

/** A small real CSV store: 200 calm 5m candles per symbol, `spike` applied to candle 150. */
function store(name: string, spike?: (row: number[]) => void): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'binance', '5m'), { recursive: true });
  for (const stem of ['BTCUSDT', 'ETHUSDT']) {
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 200; i++) {
      const p = 100 + (i % 7) / 10;
      const row = [T0 + i * M5, p, p + 0.2, p - 0.2, p + 0.05, 10];
      if (stem === 'BTCUSDT' && i === 150) spike?.(row);
      rows.push(row.join(','));
    }
    writeFileSync(join(dir, 'binance', '5m', `${stem}.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

const config = loadConfigSources({ env: {}, cli: [] });
const limit = (tf: string): number => maxAbsReturnFor(config, tf as ModelTimeframe);

function load(dir: string): string[] {
  return loadBacktestData(
    csvSource(dir, 'binance'),
    ['BTC/USDT', 'ETH/USDT'],
    ['5m'],
    '5m',
    T0 + 100 * M5,
    T0 + 200 * M5,
    limit,
  ).warnings;
}

describe('backtest warns about single-candle outliers like train and evaluate (#18 item 10)', () => {
  it('a high of 1e300 is named with its symbol, time and the retrain.dataQuality.maxAbsReturn limit', () => {
    const w = load(store('wick', (r) => (r[2] = 1e300))).join('\n');
    expect(w).toMatch(
      /BTC\/USDT 5m: a one-candle move of \d+\.\d{3} \(\|log ratio\|\) at 2021-06-01T12:30:00\.000Z > retrain\.dataQuality\.maxAbsReturn 0\.5/,
    );
    expect(w).not.toMatch(/ETH\/USDT 5m: a one-candle move/);
  });

  it('a close ×100 is warned about; a calm store is not', () => {
    const w = load(
      store('close', (r) => {
        r[4] *= 100;
        r[2] = r[4];
      }),
    );
    expect(w.join('\n')).toMatch(/BTC\/USDT 5m: a one-candle move of 4\.6\d\d/);
    expect(load(store('calm')).join('\n')).not.toMatch(/one-candle move/);
  });
});
