import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createBacktestDeps,
  runBacktest,
  runSweep,
  setPath,
  strategyTarget,
  sweepJson,
  sweepMarkdown,
} from '../../src/backtest/index.ts';
import type { BacktestDeps, BacktestRequest, SweepCombination } from '../../src/backtest/index.ts';
import { backtestRequest } from '../../src/cli/commands/backtest.ts';
import { configSchema, parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { ForwardingForecaster } from '../../src/models/index.ts';
import type { ForecastInput, Forecaster } from '../../src/models/index.ts';
import type { Forecast } from '../../src/core/types.ts';
import { tinyTradingConfig, trainTinyModels } from '../support/trained-models.ts';
import { MomentumForecaster, ToyTarget, randomWalk, toyDeps } from './support/toy.ts';

const work = mkdtempSync(join(tmpdir(), 'qg-sweep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const M5 = 300_000;
const D = 86_400_000;

/** Counts every input the real model predicts (the sweep must ask it once per forecast, not once per combination). */
class CountingForecaster extends ForwardingForecaster {
  constructor(
    inner: Forecaster,
    private readonly counter: { n: number },
  ) {
    super(inner);
  }
  override predictBatch(inputs: readonly ForecastInput[]): Forecast[] {
    this.counter.n += inputs.length;
    return this.inner.predictBatch(inputs);
  }
}

function combos(
  base: Config,
  values: ReadonlyArray<Record<string, number>>,
  opts: object,
): SweepCombination[] {
  return values.map((o) => {
    const raw = structuredClone(base) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) setPath(raw, k, v);
    const config = configSchema.parse(raw);
    return {
      label: Object.entries(o)
        .map(([k, v]) => `${k.slice(k.lastIndexOf('.') + 1)}=${v}`)
        .join(' '),
      overrides: o,
      config,
      request: backtestRequest(config, opts),
    };
  });
}

describe('quantgate sweep on real tiny models (fixture candles)', () => {
  it('computes the forecasts once, and each combination equals a standalone backtest of its config', async () => {
    const config = tinyTradingConfig(work);
    await trainTinyModels(config, Date.UTC(2021, 6, 1));
    const counter = { n: 0 };
    const logger = silentLogger();
    const depsFor = async (c: Config): Promise<BacktestDeps> => {
      const d = await createBacktestDeps(c, logger, strategyTarget);
      return {
        ...d,
        loadModels: async () => {
          const m = await d.loadModels();
          return Object.fromEntries(
            Object.entries(m).map(([tf, f]) => [tf, new CountingForecaster(f!, counter)]),
          );
        },
      };
    };
    const opts = { symbols: 'BTC/USDT,ETH/USDT', from: '2021-07-05', to: '2021-07-09' };
    const cs = combos(
      config,
      [
        { 'strategy.thresholds.confidence': 0.04 },
        { 'strategy.thresholds.confidence': 0.3 },
        { 'strategy.thresholds.confidence': 0.04, 'risk.maxOpenPositions': 1 },
      ],
      opts,
    );
    const sweep = await runSweep({ combinations: cs, depsFor, blocks: 2, minTrades: 30 });

    // One backtest's worth of forecasts, all by the first combination; the others only looked them up.
    const perBacktest = counter.n;
    expect(perBacktest).toBeGreaterThan(2 * 4 * 288);
    expect(sweep.forecasts.modelCalls).toBe(perBacktest);
    expect(sweep.forecasts.afterFirst).toBe(0);
    expect(sweep.rows.map((r) => r.modelCalls)).toEqual([perBacktest, 0, 0]);

    // Each combination's metrics are a standalone backtest's with that config (the same runtime).
    for (const i of [0, 2]) {
      const alone = await runBacktest(
        { ...cs[i].request, skipBaseline: true },
        await createBacktestDeps(cs[i].config, logger, strategyTarget),
      );
      expect(sweep.rows[i].metrics).toEqual(alone.metrics);
      expect(sweep.rows[i].buyAndHold).toEqual(alone.buyAndHold);
      expect(sweep.rows[i].gate).toEqual(alone.gate);
    }
    const [low, high, one] = sweep.rows;
    expect(low.metrics.trades).toBeGreaterThan(high.metrics.trades); // the threshold took effect
    expect(one.metrics).not.toEqual(low.metrics); // and so did the risk key
    // The halves split the run: every trade closes in exactly one.
    for (const r of sweep.rows)
      expect(r.inSample.metrics.trades + r.outOfSample.metrics.trades).toBe(r.metrics.trades);
    expect(sweep.split).toBe(Date.UTC(2021, 6, 7)); // the middle UTC day of a fixed-model run
    expect(sweep.chosen).not.toBeNull();
    expect(sweep.deflatedSharpe.trials).toBe(3);
    expect(sweep.deflatedSharpe.periods).toBe(low.daily.days);
    // A combination with fewer trades than minTrades is flagged (here: every one, below 10,000).
    expect(sweep.warnings.join('\n')).not.toMatch(/small sample/);
    const strict = await runSweep({ combinations: cs.slice(0, 1), depsFor, blocks: 2, minTrades: 10_000 });
    expect(strict.warnings.join('\n')).toMatch(
      /small sample: the chosen \(in-sample\) combination .* made \d+ trades \(< 10000\)/,
    );
    const text = sweepMarkdown(sweep);
    expect(text).toMatch(/^\| # \| combination \| trades/);
    expect(text).toMatch(/chosen: #\d .* by the highest Sharpe on the in-sample half/);
    expect(text).toMatch(/its out-of-sample half: Sharpe/);
    const json = sweepJson(sweep, [], null) as { combinations: unknown[] };
    expect(json.combinations).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(json))).toMatchObject({ from: '2021-07-05T00:00:00.000Z' });
  }, 120_000);
});

describe('walk-forward sweep (toy models)', () => {
  const t0 = Date.UTC(2021, 0, 1);
  const store = { 'BTC/USDT': { '5m': randomWalk(t0, M5, 288 * 5, 3) } };
  it('trains each window once for all combinations and reuses its forecasts', async () => {
    const trained: number[] = [];
    const models: MomentumForecaster[] = [];
    const depsFor = async (c: Config): Promise<BacktestDeps> => {
      const d = toyDeps(store);
      return {
        ...d,
        trainModels: async (_data, slot) => {
          trained.push(slot.trainTo);
          const m = new MomentumForecaster('5m', 6, `wf-${slot.trainTo}`);
          models.push(m);
          return { '5m': m };
        },
        // The combination's fee reaches its own target (the toy reads nothing else).
        createTarget: async ({ clock, models: ms }) => new ToyTarget(clock, ms, 1000, c.exchange.takerFee),
      };
    };
    const base = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const req: Partial<BacktestRequest> = {
      timeframes: ['5m'],
      walkForward: true,
      walkForwardDays: 1,
      warmupCandles: 50,
    };
    const cs = combos(
      base,
      [0.001, 0.002, 0.004].map((f) => ({ 'exchange.takerFee': f })),
      {
        symbols: 'BTC/USDT',
        from: '2021-01-02',
        to: '2021-01-05',
        walkForward: true,
      },
    ).map((c) => ({ ...c, request: { ...c.request, ...req } }));
    const sweep = await runSweep({ combinations: cs, depsFor, blocks: 2 });
    expect(trained).toEqual([t0 + D, t0 + 2 * D, t0 + 3 * D]);
    const calls = models.reduce((a, m) => a + m.calls, 0);
    expect(sweep.forecasts.modelCalls).toBe(calls);
    expect(sweep.forecasts.afterFirst).toBe(0);
    // Split at the middle window boundary; higher fees cost money on the same trades.
    expect(sweep.split).toBe(t0 + 2 * D);
    const trades = sweep.rows.map((r) => r.metrics.trades);
    expect(new Set(trades).size).toBe(1);
    expect(trades[0]).toBeGreaterThan(5);
    const fees = sweep.rows.map((r) => r.metrics.fees);
    expect(fees[0]).toBeLessThan(fees[1]);
    expect(fees[1]).toBeLessThan(fees[2]);
    expect(sweep.rows[0].metrics.totalReturn).toBeGreaterThan(sweep.rows[2].metrics.totalReturn);
  });
});
