import type { Config } from '../config/index.ts';
import { horizonFor } from '../config/index.ts';
import { QuantgateError } from '../core/errors.ts';
import type { ClosedCandle, Direction, Forecast, ModelTimeframe, Signal } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import {
  createIncrementalFeatures,
  featureNames,
  labelParamsFor,
  realisedSigma,
  roundTripCosts,
} from '../features/index.ts';
import type { BarrierSpec, IncrementalFeatureStream } from '../features/index.ts';
import type { ForecastInput } from '../models/forecaster.ts';
import { ContextHub } from './context-hub.ts';
import { FeatureWindow } from './feature-window.ts';
import { fuse } from './fusion.ts';
import { evaluateGate, kellyFraction, leaningDirection } from './gate.ts';
import type { GateResult } from './gate.ts';
import type { OrderUpdate, PluginContext, PluginState, StrategyPlugin } from './plugin.ts';
import { PreparedForecasts } from './prepared-forecasts.ts';
import type { PreparedEntry } from './prepared-forecasts.ts';
import { DailyCloses, RecentCloses } from './recent-closes.ts';
import { strategyWarmup } from './warmup-needs.ts';

const MAX_WINDOW = 512;
const REGIME_HISTORY = 60;

interface SeriesState {
  readonly features: IncrementalFeatureStream;
  readonly rows: FeatureWindow;
}

interface Stamped {
  readonly forecast: Forecast;
  readonly at: number; // open time of the candle it was made on
}

interface PersistentState {
  lastExitAt: Record<string, number>;
  regimeBands: number[];
  counters: Record<string, number>;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * quantgate's strategy: per symbol, incremental features per timeframe → that timeframe's model
 * on each of its closed candles; on each execution-timeframe candle, fuse the latest forecasts,
 * pass the quantile risk/reward gate, size from confidence and risk per trade. All time comes from
 * candles, so the backtest and live paths make the same decisions.
 */
export class QuantileStrategy implements StrategyPlugin {
  readonly name = 'quantgate';
  readonly timeframes: readonly ModelTimeframe[];
  readonly warmup: Readonly<Partial<Record<ModelTimeframe, number>>>;
  private ctx: PluginContext | null = null;
  private readonly series = new Map<string, SeriesState>();
  /** Market-reference and higher-timeframe series the feature streams read (features.marketContext, higherTimeframes). */
  private readonly contextHub: ContextHub;
  private readonly latest = new Map<string, Stamped>();
  private readonly prepared = new PreparedForecasts();
  private st: PersistentState = { lastExitAt: {}, regimeBands: [], counters: {} };
  /** The trade's barriers: the same settings the execution model's labels were made with. */
  private readonly barrier: BarrierSpec;
  private readonly volWindow: number;
  /** Per symbol: recent execution closes (volatility) and daily closes (trend filter). */
  private readonly execCloses = new Map<string, RecentCloses>();
  private readonly dailyCloses = new Map<string, DailyCloses>();
  /** The coarsest timeframe the strategy is fed: its closes give the trend filter's daily closes. */
  private readonly trendTimeframe: ModelTimeframe;

  constructor(private readonly config: Config) {
    this.timeframes = config.strategy.timeframes;
    const exec = config.strategy.executionTimeframe;
    const lp = labelParamsFor(config, exec);
    this.volWindow = lp.volWindow;
    this.barrier = {
      takeProfitMultiplier: config.strategy.exits.takeProfitMultiplier,
      stopLossMultiplier: config.strategy.exits.stopLossMultiplier,
      horizon: horizonFor(config, exec),
      costs: roundTripCosts(config.exchange.takerFee, config.paper.slippageBps),
    };

    this.contextHub = new ContextHub(config);
    const needs = strategyWarmup(config);
    this.trendTimeframe = needs.trendTimeframe;
    this.warmup = needs.warmup;
  }

  async init(ctx: PluginContext): Promise<void> {
    this.ctx = ctx;
    for (const tf of this.timeframes) {
      const model = ctx.models.get(tf);
      if (!model || model.featureNames.length === 0) continue;
      const expected = featureNames(tf, this.config.features);
      const same =
        model.featureNames.length === expected.length &&
        model.featureNames.every((n, i) => n === expected[i]);
      if (!same)
        throw new QuantgateError(
          'MODEL_INVALID',
          `model ${model.version} (${tf}) was trained on features [${model.featureNames.join(', ')}] but the config produces [${expected.join(', ')}]`,
        );
      if (model.window > MAX_WINDOW)
        throw new QuantgateError(
          'MODEL_INVALID',
          `model ${model.version} needs a window of ${model.window} > ${MAX_WINDOW}`,
        );
    }
  }

  private context(): PluginContext {
    if (!this.ctx) throw new QuantgateError('INTERNAL', 'QuantileStrategy used before init()');
    return this.ctx;
  }

  private seriesFor(symbol: string, tf: ModelTimeframe): SeriesState {
    const key = `${symbol}|${tf}`;
    let s = this.series.get(key);
    if (!s) {
      const features = createIncrementalFeatures(
        tf,
        this.config.features,
        this.contextHub.sourcesFor(symbol, tf),
      );
      s = { features, rows: new FeatureWindow(features.names.length, MAX_WINDOW) };
      this.series.set(key, s);
    }
    return s;
  }

  async onCandle(c: ClosedCandle): Promise<Signal | null> {
    const tf = c.timeframe as ModelTimeframe;
    if (!this.timeframes.includes(tf)) return null;
    const ctx = this.context();
    this.contextHub.observe(c);
    // A prepared candle's group already applied staged swaps before its one predict.
    const key = `${c.symbol}|${tf}`;
    if (tf === this.config.strategy.executionTimeframe && !this.prepared.has(key)) ctx.models.beginCandle();
    this.track(c, tf);
    this.updateForecast(c, tf);
    if (tf !== this.config.strategy.executionTimeframe) return null;
    return this.decide(c);
  }

  /**
   * Candles closing at the same instant, before the host feeds them one by one to `onCandle`:
   * advances each one's features and runs one predict per timeframe for the whole group (tfjs on
   * wasm costs mostly per call, not per row). Forecasts are only taken into use by `onCandle`/`warm`
   * of each candle, in the host's order, so decisions are those of the one-by-one path.
   */
  async prepare(candles: readonly ClosedCandle[]): Promise<void> {
    const ctx = this.context();
    const exec = this.config.strategy.executionTimeframe;
    if (candles.some((c) => c.timeframe === exec)) ctx.models.beginCandle();
    for (const c of candles)
      if (this.timeframes.includes(c.timeframe as ModelTimeframe)) this.contextHub.observe(c);
    const groups = new Map<ModelTimeframe, { entries: PreparedEntry[]; inputs: ForecastInput[] }>();
    for (const c of candles) {
      const tf = c.timeframe as ModelTimeframe;
      const key = `${c.symbol}|${tf}`;
      if (!this.timeframes.includes(tf) || this.prepared.has(key)) continue;
      const win = this.advance(c, tf);
      const entry = this.prepared.add(key, c.timestamp);
      if (win === null) continue;
      const g = groups.get(tf) ?? { entries: [], inputs: [] };
      g.entries.push(entry);
      g.inputs.push({ symbol: c.symbol, features: win });
      groups.set(tf, g);
    }
    for (const [tf, g] of groups) {
      const out = ctx.models.predict(tf, g.inputs);
      if (out) g.entries.forEach((e, i) => (e.forecast = out[i]));
    }
  }

  /** History only: updates features and forecasts, decides nothing (warm-up, restart replay). */
  async warm(c: ClosedCandle): Promise<void> {
    const tf = c.timeframe as ModelTimeframe;
    if (!this.timeframes.includes(tf)) return;
    this.contextHub.observe(c);
    this.track(c, tf);
    this.updateForecast(c, tf);
  }

  /** Keeps the execution closes the gate's volatility and the trend filter's daily closes need. */
  private track(c: ClosedCandle, tf: ModelTimeframe): void {
    if (tf !== this.config.strategy.executionTimeframe) return;
    const ms = timeframeMs(tf);
    let r = this.execCloses.get(c.symbol);
    if (!r) this.execCloses.set(c.symbol, (r = new RecentCloses(this.volWindow + 1, ms)));
    r.push(c.timestamp, c.close);
    let d = this.dailyCloses.get(c.symbol);
    if (!d)
      this.dailyCloses.set(
        c.symbol,
        (d = new DailyCloses(this.config.strategy.fusion.trendLookbackDays, ms)),
      );
    d.push(c.timestamp, c.close);
  }

  /** Causal σ of the execution series at its latest candle, as the labels compute it; NaN if unknown. */
  private sigmaOf(symbol: string): number {
    const r = this.execCloses.get(symbol);
    const closes = r?.contiguous();
    return closes ? realisedSigma(closes, closes.length - 1, this.volWindow) : NaN;
  }

  /** Log return over the trend lookback of the completed UTC days; NaN while filling. */
  private trendReturnOf(symbol: string): number {
    return this.dailyCloses.get(symbol)?.trendReturn() ?? NaN;
  }

  /** Pushes the candle's feature row; the model's input window when one is complete. */
  private advance(c: ClosedCandle, tf: ModelTimeframe): Float32Array | null {
    const s = this.seriesFor(c.symbol, tf);
    const row = s.features.push(c);
    if (row === null) {
      s.rows.reset();
      return null;
    }
    s.rows.push(row);
    return s.rows.window(this.context().models.window(tf));
  }

  private updateForecast(c: ClosedCandle, tf: ModelTimeframe): void {
    const pre = this.prepared.take(`${c.symbol}|${tf}`, c.timestamp);
    let forecast: Forecast | undefined;
    if (pre) forecast = pre.forecast;
    else {
      const win = this.advance(c, tf);
      if (win === null) return;
      forecast = this.context().models.predict(tf, [{ symbol: c.symbol, features: win }])?.[0];
    }
    if (!forecast) return;
    this.latest.set(`${c.symbol}|${tf}`, { forecast, at: c.timestamp });
    if (tf === '12h') {
      this.st.regimeBands.push(forecast.q90 - forecast.q10);
      if (this.st.regimeBands.length > REGIME_HISTORY) this.st.regimeBands.shift();
    }
  }

  /** Latest forecast of `tf` for `symbol`, if it is no older than two of its candles. */
  private fresh(symbol: string, tf: ModelTimeframe, now: number): Forecast | undefined {
    const f = this.latest.get(`${symbol}|${tf}`);
    if (!f) return undefined;
    return now - f.at <= 2 * timeframeMs(tf) ? f.forecast : undefined;
  }

  private decide(c: ClosedCandle): Signal | null {
    const ctx = this.context();
    const cfg = this.config.strategy;
    const exec = cfg.executionTimeframe;
    const forecasts: Partial<Record<ModelTimeframe, Forecast>> = {};
    for (const tf of this.timeframes) {
      const f = this.fresh(c.symbol, tf, c.timestamp);
      if (f) forecasts[tf] = f;
    }
    const f = forecasts[exec];
    const versions = Object.fromEntries(Object.entries(forecasts).map(([tf, x]) => [tf, x.modelVersion]));
    const position = ctx.account.position(c.symbol);

    if (position) return this.manageOpen(c, position.direction, position.entryTime, f, versions);
    if (ctx.account.hasPending(c.symbol))
      return (
        ctx.decisions.record(c.symbol, c.timestamp, 'order_pending', 'an order for this symbol is pending'),
        null
      );
    if (!f) {
      const reason = ctx.models.get(exec) ? 'warmup' : 'model_unavailable';
      return (ctx.decisions.record(c.symbol, c.timestamp, reason, `no ${exec} forecast yet`), null);
    }
    const lastExit = this.st.lastExitAt[c.symbol];
    if (
      cfg.cooldownCandles > 0 &&
      lastExit !== undefined &&
      c.timestamp - lastExit < cfg.cooldownCandles * timeframeMs(exec)
    )
      return (
        ctx.decisions.record(
          c.symbol,
          c.timestamp,
          'cooldown',
          `cooldown after exit at ${new Date(lastExit).toISOString()}`,
        ),
        null
      );

    const direction = leaningDirection(f);
    if (!direction)
      return (ctx.decisions.record(c.symbol, c.timestamp, 'no_direction', 'P(buy) = P(sell)'), null);
    // A spot market cannot short whatever the flag says: refused here, before any gate or order.
    const spot = this.config.exchange.market === 'spot';
    if (direction === 'short' && (spot || !cfg.sizing.allowShort))
      return (
        ctx.decisions.record(
          c.symbol,
          c.timestamp,
          'short_not_allowed',
          `model leans short (P(sell)=${f.pSell.toFixed(3)}) but ${spot ? 'a spot market cannot short' : 'shorts are off (strategy.sizing.allowShort)'}`,
        ),
        null
      );

    const sigma = this.sigmaOf(c.symbol);
    if (!(sigma > 0))
      return (
        ctx.decisions.record(c.symbol, c.timestamp, 'warmup', `no ${this.volWindow}-candle volatility yet`),
        null
      );
    const gate = evaluateGate({ forecast: f, price: c.close, direction, sigma }, cfg, this.barrier);
    const gateText = `${direction} p=${gate.probability.toFixed(3)} edge=${gate.edgeBps.toFixed(1)}bps rr=${gate.riskReward.toFixed(2)}`;
    if (!gate.pass)
      return (ctx.decisions.record(c.symbol, c.timestamp, gate.reason ?? 'no_edge', gateText), null);

    if (cfg.fusion.trend === 'momentum') {
      const trend = this.trendReturnOf(c.symbol);
      const agrees = direction === 'long' ? trend > 0 : trend < 0;
      if (!agrees)
        return (
          ctx.decisions.record(
            c.symbol,
            c.timestamp,
            'vetoed_trend',
            `${gateText}; ${cfg.fusion.trendLookbackDays}-day return ${Number.isFinite(trend) ? `${(trend * 100).toFixed(2)} %` : 'unknown yet'}`,
          ),
          null
        );
    }

    const fusion = fuse({ direction, forecasts, medianRegimeBand: median(this.st.regimeBands) }, cfg);
    if (fusion.veto)
      return (
        ctx.decisions.record(c.symbol, c.timestamp, fusion.veto, `${gateText}; ${fusion.notes.join('; ')}`),
        null
      );

    const size = (ctx.account.equity() * this.notionalFraction(gate) * fusion.sizeFactor) / c.close;
    if (!(size > 0) || !Number.isFinite(size))
      return (
        ctx.decisions.record(c.symbol, c.timestamp, 'size_too_small', `${gateText}; size ${size}`),
        null
      );
    const reason = `${gateText} regime=${fusion.regime} score=${fusion.score.toFixed(2)} size×${fusion.sizeFactor}${fusion.notes.length ? ` (${fusion.notes.join('; ')})` : ''}`;
    ctx.decisions.record(c.symbol, c.timestamp, 'trade_opened', reason);
    return {
      exchange: c.exchange,
      symbol: c.symbol,
      timestamp: c.timestamp,
      action: 'open',
      direction,
      confidence: gate.confidence,
      riskReward: gate.riskReward,
      pWin: gate.probability,
      expectedEdgeBps: gate.edgeBps,
      size,
      price: c.close,
      takeProfit: gate.takeProfit,
      stopLoss: gate.stopLoss,
      modelVersions: versions,
      reason,
    };
  }

  /**
   * Fraction of equity to put into the trade: `sizing.kellyFraction` of the Kelly fraction from
   * P(win) and the barrier distances net of costs, capped so that a stop loses at most
   * `sizing.riskPerTrade` of equity (`fixed-risk`: that cap × P(win), whatever the edge).
   */
  private notionalFraction(g: GateResult): number {
    const s = this.config.strategy.sizing;
    const costs = this.barrier.costs;
    if (s.method === 'fixed-risk') return (s.riskPerTrade * g.probability) / (g.stopLossDistance + costs);
    const kelly = kellyFraction(g.probability, g.takeProfitDistance, g.stopLossDistance, costs);
    const cap = s.riskPerTrade / (g.stopLossDistance + costs);
    return Math.max(0, Math.min(s.kellyFraction * kelly, cap));
  }

  /** With a position open: close it after the max hold or on a strong opposite signal. */
  private manageOpen(
    c: ClosedCandle,
    held: Direction,
    entryTime: number,
    f: Forecast | undefined,
    versions: Record<string, string>,
  ): Signal | null {
    const ctx = this.context();
    const cfg = this.config.strategy;
    const exec = cfg.executionTimeframe;
    const maxHold = cfg.exits.maxHoldCandles ?? horizonFor(this.config, exec);
    const close = (reason: 'trade_closed_max_hold' | 'trade_closed_reversal', detail: string): Signal => {
      ctx.decisions.record(c.symbol, c.timestamp, reason, detail);
      return {
        exchange: c.exchange,
        symbol: c.symbol,
        timestamp: c.timestamp,
        action: 'close',
        direction: held,
        confidence: 0,
        riskReward: 0,
        size: 0,
        price: c.close,
        takeProfit: 0,
        stopLoss: 0,
        modelVersions: versions,
        reason: detail,
      };
    };
    // The entry fills at the open of the candle after the decision; held candles count from there.
    const heldCandles = Math.round((c.timestamp - entryTime) / timeframeMs(exec)) + 1;
    if (heldCandles >= maxHold)
      return close('trade_closed_max_hold', `held ${heldCandles} >= ${maxHold} candles`);
    const sigma = this.sigmaOf(c.symbol);
    if (f && sigma > 0) {
      const opposite: Direction = held === 'long' ? 'short' : 'long';
      if (leaningDirection(f) === opposite) {
        const g = evaluateGate(
          { forecast: f, price: c.close, direction: opposite, sigma },
          cfg,
          this.barrier,
        );
        if (g.pass)
          return close(
            'trade_closed_reversal',
            `opposite signal p=${g.probability.toFixed(3)} edge=${g.edgeBps.toFixed(1)}bps`,
          );
      }
    }
    ctx.decisions.record(
      c.symbol,
      c.timestamp,
      'position_open',
      `holding ${held} (${heldCandles}/${maxHold})`,
    );
    return null;
  }

  /** A filled exit starts the symbol's cool-down (strategy.cooldownCandles, checked in `decide`). */
  onOrderUpdate(u: OrderUpdate): void {
    if (u.kind === 'exit' && u.status === 'filled') this.st.lastExitAt[u.symbol] = u.timestamp;
  }

  /** Model version per timeframe (status line): every configured timeframe, `none` without a model. */
  modelVersions(): Record<string, string> {
    const v = this.context().models.versions();
    return Object.fromEntries(this.timeframes.map((tf) => [tf, v[tf] ?? 'none']));
  }

  /** Decision counters by reason (status line, backtest report). */
  decisionCounts(): Readonly<Record<string, number>> {
    return this.context().decisions.counts();
  }

  snapshot(): PluginState {
    return {
      lastExitAt: { ...this.st.lastExitAt },
      regimeBands: [...this.st.regimeBands],
      counters: { ...this.context().decisions.counts() },
    };
  }

  restore(state: PluginState): void {
    const s = state as Partial<PersistentState>;
    this.st = {
      lastExitAt: { ...(s.lastExitAt ?? {}) },
      regimeBands: [...(s.regimeBands ?? [])],
      counters: {},
    };
    if (s.counters) this.context().decisions.restore(s.counters);
  }

  async dispose(): Promise<void> {
    this.series.clear();
    this.contextHub.clear();
    this.latest.clear();
    this.execCloses.clear();
    this.dailyCloses.clear();
    this.prepared.clear();
    this.ctx?.models.dispose();
  }
}
