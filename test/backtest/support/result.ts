import { edgeLedger } from '../../../src/backtest/edge-ledger.ts';
import type { BacktestResult, EquityPoint, TradeRecord } from '../../../src/backtest/index.ts';
import { performanceMetrics } from '../../../src/backtest/index.ts';

/** A small synthetic backtest result for report tests. */
export function sampleResult(): BacktestResult {
  const t0 = Date.UTC(2021, 0, 1);
  const step = 3_600_000;
  const curve: EquityPoint[] = Array.from({ length: 24 * 60 }, (_, i) => ({
    t: t0 + i * step,
    equity: 10_000 * (1 + 0.0001 * i + 0.02 * Math.sin(i / 50)),
    exposure: i % 3 === 0 ? 0 : 1000,
  }));
  const bh = curve.map((p, i) => ({ ...p, equity: 10_000 * (1 + 0.0002 * i) }));
  const trades: TradeRecord[] = Array.from({ length: 12 }, (_, k) => ({
    symbol: k % 2 === 0 ? 'BTC/USDT' : 'ETH/USDT',
    timeframe: '5m',
    direction: 'long',
    entryTime: t0 + k * 100 * step,
    exitTime: t0 + (k * 100 + 5) * step,
    entryPrice: 100 + k,
    exitPrice: 101 + k - (k % 3),
    quantity: 1,
    pnl: 1 - (k % 3),
    fees: 0.2,
    funding: 0,
    predictedRiskReward: 1.5,
    stopLoss: 98 + k,
    exitReason: 'take-profit',
  }));
  const m = performanceMetrics({ curve, trades, fees: 2.4, funding: 0, riskFreeRate: 0 });
  const prices = {
    'BTC/USDT': curve.map((p, i) => ({ t: p.t, close: 100 + i / 10 })),
    'ETH/USDT': curve.map((p, i) => ({ t: p.t, close: 50 + i / 20 })),
  };
  return {
    exchange: 'binance',
    symbols: ['BTC/USDT', 'ETH/USDT'],
    from: t0,
    to: curve[curve.length - 1].t,
    walkForward: true,
    metrics: m,
    perSymbol: {
      'BTC/USDT': { trades: 6, pnl: 1, fees: 1.2, winRate: 0.3, profitFactor: 1.1, avgRealisedR: 0.2 },
    },
    perTimeframe: {
      '5m': { trades: 12, pnl: 1, fees: 2.4, winRate: 0.3, profitFactor: 1.1, avgRealisedR: 0.2 },
    },
    buyAndHold: performanceMetrics({ curve: bh, trades: [], fees: 10, funding: 0, riskFreeRate: 0 }),
    baseline: null,
    momentum: performanceMetrics({ curve: bh, trades: [], fees: 4, funding: 0, riskFreeRate: 0 }),
    momentumLookbackDays: 20,
    edgeLedger: edgeLedger([
      { pWin: 0.55, expectedEdgeBps: 12, won: true, realisedBps: 80 },
      { pWin: 0.62, expectedEdgeBps: 30, won: false, realisedBps: -95 },
    ]),
    gate: { confidence: 120, riskReward: 40, contradiction: 3 },
    calibration: [
      {
        timeframe: '5m',
        samples: 500,
        exceedance: { q10: 0.12, q50: 0.48, q90: 0.09 },
        target: { q10: 0.1, q50: 0.5, q90: 0.1 },
        bandCoverage: 0.79,
        ece: 0.04,
        reliability: [
          { lo: 0.3, hi: 0.4, count: 100, meanConfidence: 0.36, accuracy: 0.33 },
          { lo: 0.4, hi: 0.5, count: 300, meanConfidence: 0.45, accuracy: 0.47 },
          { lo: 0.5, hi: 0.6, count: 100, meanConfidence: 0.55, accuracy: 0.5 },
        ],
        classes: {
          BUY: { meanProbability: 0.21, frequency: 0.2, maxProbability: 0.58, reliability: [] },
          SELL: { meanProbability: 0.19, frequency: 0.22, maxProbability: 0.49, reliability: [] },
          HOLD: { meanProbability: 0.6, frequency: 0.58, maxProbability: 0.93, reliability: [] },
        },
      },
    ],
    windows: [
      {
        trainFrom: t0 - 30 * 86_400_000,
        trainTo: t0,
        testFrom: t0,
        testTo: t0 + 7 * 86_400_000,
        modelVersions: { '5m': 'v1' },
        metrics: m,
        gate: { low_confidence: 1200, trade_opened: 4 },
        forecasts: { count: 2016, meanBuy: 0.12, maxBuy: 0.587, meanSell: 0.1, maxSell: 0.44 },
      },
    ],
    modelVersions: { '5m': 'v1' },
    data: [
      {
        symbol: 'BTC/USDT',
        timeframe: '5m',
        candles: 2000,
        first: t0,
        last: t0 + 1999 * 300_000,
        sha256: '0123456789abcdef',
      },
    ],
    provenance: {
      quantgate: '0.1.0',
      commit: 'abc123def456',
      node: 'v20.0.0',
      configSha256: 'fedcba9876543210',
      configFile: null,
    },
    gaps: [{ symbol: 'BTC/USDT', timeframe: '5m', after: t0, before: t0 + 3 * 300_000, missing: 2 }],
    warnings: ['BTC/USDT 5m: 2 missing candles in 1 gap'],
    candles: 1440,
    seconds: 0.5,
    candlesPerSecond: 2880,
    replaySeconds: 0.4,
    curve,
    buyAndHoldCurve: bh,
    momentumCurve: bh,
    trades,
    signals: [],
    prices,
  };
}
