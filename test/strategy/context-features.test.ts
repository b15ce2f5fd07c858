import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import type { ConfigInput } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { timeframeMs } from '../../src/core/types.ts';
import type { Candle, ClosedCandle, Timeframe } from '../../src/core/types.ts';
import { readCandles } from '../../src/exchange/index.ts';
import { computeFeatures, featureNames } from '../../src/features/index.ts';
import type { FeatureMatrix } from '../../src/features/index.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../../src/strategy/index.ts';
import { sameBits } from '../features/support.ts';
import { FakeForecaster, MiniHost } from './support.ts';

const flat = (xs: readonly Float32Array[]): Float32Array => {
  const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0));
  let k = 0;
  for (const x of xs) out.set(x, (k += x.length) - x.length);
  return out;
};

const FIX = new URL('../fixtures/candles', import.meta.url).pathname;
const read = (tf: Timeframe, symbol: string): Candle[] => readCandles(FIX, 'binance', tf, symbol)!.candles;
const WINDOW = 8;

const input = (over: Partial<ConfigInput> = {}): ConfigInput => ({
  // ETH first: by the configured order the host hands ETH's candle over before BTC's.
  exchange: { name: 'binance', symbols: ['ETH/USDT', 'BTC/USDT'] },
  strategy: { timeframes: ['5m', '1h'], fusion: { trend: 'off' } },
  model: { window: WINDOW },
  features: {
    returnLags: [1, 4],
    volatilityWindow: 12,
    rsiPeriod: 7,
    macd: { fast: 5, slow: 13, signal: 4 },
    bollinger: { period: 10, stdDev: 2 },
    atrPeriod: 7,
    volumeWindow: 16,
    marketContext: { enabled: true, returnLags: [1, 6], volatilityWindow: 12 },
    higherTimeframes: { enabled: true, timeframes: ['1h'], returnLags: [1, 3], volatilityWindow: 6 },
  },
  ...over,
});
const config = parseConfig(input());

const SYMBOLS = ['ETH/USDT', 'BTC/USDT'];
const series = (n5m: number): Record<string, Record<'5m' | '1h', Candle[]>> => {
  const out: Record<string, Record<'5m' | '1h', Candle[]>> = {};
  for (const s of SYMBOLS) {
    const c5 = read('5m', s).slice(0, n5m);
    const end = c5[c5.length - 1].timestamp + 300_000;
    const c1h = read('1h', s).filter(
      (c) => c.timestamp >= c5[0].timestamp - 100 * 3_600_000 && c.timestamp + 3_600_000 <= end,
    );
    out[s] = { '5m': c5, '1h': c1h };
  }
  return out;
};

/** Every candle in close-time order; same-instant ties broken as a host might. */
function delivered(
  data: ReturnType<typeof series>,
  order: 'longer first, ETH first' | 'shorter first, BTC first',
): ClosedCandle[] {
  const all: ClosedCandle[] = [];
  for (const s of SYMBOLS)
    for (const tf of ['5m', '1h'] as const)
      for (const c of data[s][tf]) all.push({ ...c, exchange: 'binance', symbol: s, timeframe: tf });
  const close = (c: ClosedCandle) => c.timestamp + timeframeMs(c.timeframe);
  const sign = order === 'longer first, ETH first' ? 1 : -1;
  return all.sort(
    (a, b) =>
      close(a) - close(b) ||
      sign * (timeframeMs(b.timeframe) - timeframeMs(a.timeframe)) ||
      sign * (SYMBOLS.indexOf(a.symbol) - SYMBOLS.indexOf(b.symbol)),
  );
}

/** Runs the plugin; returns each symbol's 5m model inputs in order. */
async function inputsSeen(candles: readonly ClosedCandle[]): Promise<Map<string, Float32Array[]>> {
  const seen = new Map<string, Float32Array[]>();
  const model = (tf: Timeframe) =>
    new FakeForecaster(`fake-${tf}`, tf, featureNames(tf, config.features), WINDOW, (inp) => {
      if (tf !== '5m') return { pBuy: 0.1, pSell: 0.1, pHold: 0.8, q10: -0.01, q50: 0, q90: 0.01 };
      let list = seen.get(inp.symbol);
      if (!list) seen.set(inp.symbol, (list = []));
      list.push(inp.features.slice());
      return { pBuy: 0.1, pSell: 0.1, pHold: 0.8, q10: -0.01, q50: 0, q90: 0.01 };
    });
  const host = new MiniHost();
  const plugin = new QuantileStrategy(config);
  const models = new ModelSet(silentLogger(), { '5m': model('5m'), '1h': model('1h') });
  await plugin.init({
    config,
    logger: silentLogger(),
    models,
    account: host.account,
    decisions: new DecisionRecorder(silentLogger()),
  });
  for (const c of candles) await host.feed(plugin, c);
  await plugin.dispose();
  return seen;
}

/** The windows a plugin must see, from the batch matrix: every row ending WINDOW finite rows. */
function batchWindows(m: FeatureMatrix): Float32Array[] {
  const w = m.names.length;
  const out: Float32Array[] = [];
  let run = 0;
  for (let i = 0; i < m.length; i++) {
    run = Number.isFinite(m.rows[i * w]) ? run + 1 : 0;
    if (run >= WINDOW) out.push(m.rows.slice((i - WINDOW + 1) * w, (i + 1) * w));
  }
  return out;
}

describe('QuantileStrategy with market and higher-timeframe context', () => {
  it('feeds its models exactly the batch rows, whichever same-instant candle arrives first', async () => {
    const data = series(1500);
    const a = await inputsSeen(delivered(data, 'longer first, ETH first'));
    const b = await inputsSeen(delivered(data, 'shorter first, BTC first'));
    for (const s of SYMBOLS) {
      const batch = computeFeatures(data[s]['5m'], '5m', config.features, {
        market: data['BTC/USDT']['5m'],
        higher: { '1h': data[s]['1h'] },
      });
      const expected = batchWindows(batch);
      expect(expected.length).toBeGreaterThan(1000);
      // One flat array each: bitwise equal, NaN nowhere (every window the model sees is complete).
      expect(sameBits(flat(a.get(s) ?? []), flat(expected)), `${s}, longer first`).toBe(true);
      expect(sameBits(flat(b.get(s) ?? []), flat(expected)), `${s}, shorter first`).toBe(true);
    }
  });

  it('refuses a model trained with context features when the config has them off, and the reverse', async () => {
    const plain = parseConfig(
      input({
        features: {
          ...input().features,
          marketContext: { enabled: false },
          higherTimeframes: { enabled: false },
        },
      }),
    );
    const init = (cfg: typeof config, trainedOn: typeof config) =>
      new QuantileStrategy(cfg).init({
        config: cfg,
        logger: silentLogger(),
        models: new ModelSet(silentLogger(), {
          '5m': new FakeForecaster('ctx', '5m', featureNames('5m', trainedOn.features), WINDOW, () => ({
            pBuy: 0,
            pSell: 0,
            pHold: 1,
            q10: 0,
            q50: 0,
            q90: 0,
          })),
        }),
        account: new MiniHost().account,
        decisions: new DecisionRecorder(silentLogger()),
      });
    await expect(init(plain, config)).rejects.toThrow(/mkt_ret_1.*but the config produces/);
    await expect(init(config, plain)).rejects.toThrow(/MODEL_INVALID|trained on features/);
    await expect(init(config, config)).resolves.toBeUndefined();
  });

  it('refuses a config whose context series the host would not stream', () => {
    expect(
      () =>
        new QuantileStrategy(parseConfig(input({ exchange: { name: 'binance', symbols: ['ETH/USDT'] } }))),
    ).toThrow(/features\.marketContext\.symbol/);
    expect(
      () =>
        new QuantileStrategy(
          parseConfig(
            input({ strategy: { timeframes: ['5m'], executionTimeframe: '5m', fusion: { trend: 'off' } } }),
          ),
        ),
    ).toThrow(/features\.higherTimeframes\.timeframes: 1h is not streamed/);
  });
});
