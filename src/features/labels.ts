import { QuantgateError } from '../core/errors.ts';
import { barrierDistances, barrierPrices, firstTouch, realisedSigma } from './barriers.ts';
import type { TripleBarrierSettings } from './barriers.ts';
import type { LabelParams } from './params.ts';
import { timeframeMs } from '../core/types.ts';
import type { Candle, ClassLabel, Timeframe } from '../core/types.ts';
import { LABEL_BUY, LABEL_HOLD, LABEL_NONE, LABEL_SELL } from './types.ts';
import type { Labels } from './types.ts';

function checkArgs(horizon: number, k: number, volWindow: number): void {
  const bad = (what: string, v: number, expected: string) => {
    throw new QuantgateError('CONFIG_INVALID', `labels: ${what} is ${v} (expected ${expected})`);
  };
  if (!Number.isInteger(horizon) || horizon < 1) bad('horizon', horizon, 'an integer >= 1');
  if (!(Number.isFinite(k) && k >= 0)) bad('k', k, 'a number >= 0');
  if (!Number.isInteger(volWindow) || volWindow < 2) bad('volWindow', volWindow, 'an integer >= 2');
}

function closesOf(candles: readonly Candle[], tfMs: number): Float64Array {
  const closes = new Float64Array(candles.length);
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    if (!(Number.isFinite(c.close) && c.close > 0))
      throw new QuantgateError(
        'DATA_INVALID',
        `labels: candle ${i} at ${new Date(c.timestamp).toISOString()}: close is ${c.close} (expected a finite price > 0)`,
      );
    if (i > 0 && c.timestamp - candles[i - 1].timestamp < tfMs)
      throw new QuantgateError(
        'DATA_INVALID',
        `labels: candle ${i} at ${new Date(c.timestamp).toISOString()} is less than one ${tfMs} ms candle after the previous one (expected ascending, de-duplicated open times)`,
      );
    closes[i] = c.close;
  }
  return closes;
}

/**
 * Forward-return labels with a volatility-adaptive threshold. For the forecast issued at the close
 * of candle i: r = ln(close[i+h] / close[i]); σ = root-mean-square of the `volWindow` one-candle log
 * returns ending at i (past data only); BUY when r > k·σ·√h, SELL when r < −k·σ·√h, else HOLD.
 * No label (LABEL_NONE, NaN) in the last h rows, where the horizon or the volatility window spans a
 * gap in open times, or where σ is 0 (flat maintenance candles carry no scale).
 */
export function makeLabels(
  candles: readonly Candle[],
  horizon: number,
  k: number,
  volWindow: number,
  tf: Timeframe,
): Labels {
  checkArgs(horizon, k, volWindow);
  const tfMs = timeframeMs(tf);
  const n = candles.length;
  const closes = closesOf(candles, tfMs);
  const forwardReturn = new Float64Array(n).fill(NaN);
  const threshold = new Float64Array(n).fill(NaN);
  const classes = new Int8Array(n).fill(LABEL_NONE);
  const ts = (i: number) => candles[i].timestamp;
  const sqrtH = Math.sqrt(horizon);
  for (let i = volWindow; i < n; i++) {
    if (ts(i) - ts(i - volWindow) !== volWindow * tfMs) continue;
    const sigma = realisedSigma(closes, i, volWindow);
    if (!(sigma > 0)) continue;
    threshold[i] = k * sigma * sqrtH;
    if (i + horizon >= n || ts(i + horizon) - ts(i) !== horizon * tfMs) continue;
    const r = Math.log(closes[i + horizon] / closes[i]);
    forwardReturn[i] = r;
    classes[i] = r > threshold[i] ? LABEL_BUY : r < -threshold[i] ? LABEL_SELL : LABEL_HOLD;
  }
  return { horizon, k, volWindow, forwardReturn, threshold, classes };
}

/**
 * Triple-barrier labels (López de Prado, AFML ch. 3) whose barriers are the strategy's own exits
 * (features/barriers.ts, the same function the strategy places TP/SL with). For the trade entered
 * at the close of candle i: BUY when a long would hit its take-profit before its stop within
 * `horizon` candles, SELL when a short would, HOLD otherwise (stop first, or neither by the
 * vertical barrier). A take-profit that does not pay the round-trip costs is no win. When both
 * sides win (possible only with take-profit < stop), the earlier one is the label; the same
 * candle, HOLD. `forwardReturn` stays ln(close[i+h]/close[i]) for the quantile heads; `threshold`
 * holds the take-profit distance and `stopDistance` the stop distance (log returns).
 */
export function makeTripleBarrierLabels(
  candles: readonly Candle[],
  horizon: number,
  volWindow: number,
  barrier: TripleBarrierSettings,
  tf: Timeframe,
): Labels {
  checkArgs(horizon, 0, volWindow);
  const bad = (what: string, v: number) => {
    throw new QuantgateError('CONFIG_INVALID', `labels: ${what} is ${v} (expected a finite number > 0)`);
  };
  if (!(barrier.takeProfitMultiplier > 0)) bad('takeProfitMultiplier', barrier.takeProfitMultiplier);
  if (!(barrier.stopLossMultiplier > 0)) bad('stopLossMultiplier', barrier.stopLossMultiplier);
  if (!(barrier.costs >= 0)) bad('costs', barrier.costs);
  const tfMs = timeframeMs(tf);
  const n = candles.length;
  const closes = closesOf(candles, tfMs);
  const forwardReturn = new Float64Array(n).fill(NaN);
  const threshold = new Float64Array(n).fill(NaN);
  const stopDistance = new Float64Array(n).fill(NaN);
  const classes = new Int8Array(n).fill(LABEL_NONE);
  const ts = (i: number) => candles[i].timestamp;
  const spec = { ...barrier, horizon };
  for (let i = volWindow; i < n; i++) {
    if (ts(i) - ts(i - volWindow) !== volWindow * tfMs) continue;
    const sigma = realisedSigma(closes, i, volWindow);
    if (!(sigma > 0)) continue;
    const d = barrierDistances(sigma, spec);
    threshold[i] = d.takeProfit;
    stopDistance[i] = d.stopLoss;
    if (i + horizon >= n || ts(i + horizon) - ts(i) !== horizon * tfMs) continue;
    forwardReturn[i] = Math.log(closes[i + horizon] / closes[i]);
    if (d.takeProfit <= barrier.costs) {
      classes[i] = LABEL_HOLD;
      continue;
    }
    const long = firstTouch(candles, i + 1, i + horizon, 'long', barrierPrices(closes[i], 'long', d));
    const short = firstTouch(candles, i + 1, i + horizon, 'short', barrierPrices(closes[i], 'short', d));
    const longAt = long.kind === 'win' ? long.at : Infinity;
    const shortAt = short.kind === 'win' ? short.at : Infinity;
    classes[i] = longAt < shortAt ? LABEL_BUY : shortAt < longAt ? LABEL_SELL : LABEL_HOLD;
  }
  return { horizon, k: 0, volWindow, forwardReturn, threshold, stopDistance, classes };
}

/** The labels a timeframe's model is trained on, by the configured method (LabelParams). */
export function labelsFor(candles: readonly Candle[], p: LabelParams, tf: Timeframe): Labels {
  if (p.method === 'triple-barrier') {
    if (!p.barrier)
      throw new QuantgateError('INTERNAL', 'labels: triple-barrier labels need barrier settings');
    return makeTripleBarrierLabels(candles, p.horizon, p.volWindow, p.barrier, tf);
  }
  return makeLabels(candles, p.horizon, p.k, p.volWindow, tf);
}

/**
 * Inverse-frequency class weights over the given class codes (pass the training slice only):
 * w_c = N / (C · n_c) with C the number of classes present, so the mean sample weight is 1.
 * Codes < 0 are ignored; an absent class gets weight 0. Returns [BUY, SELL, HOLD].
 */
export function classWeights(codes: ArrayLike<number>): [number, number, number] {
  const counts = [0, 0, 0];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 0 && c <= 2) counts[c]++;
  }
  const total = counts[0] + counts[1] + counts[2];
  const present = counts.filter((c) => c > 0).length;
  const w = counts.map((c) => (c > 0 ? total / (present * c) : 0));
  return [w[0], w[1], w[2]];
}

/** One weight per sample from its class code (0 for codes < 0). */
export function sampleWeights(
  codes: ArrayLike<number>,
  weights: readonly [number, number, number],
): Float32Array {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    out[i] = c >= 0 && c <= 2 ? weights[c] : 0;
  }
  return out;
}

const NAMES: readonly ClassLabel[] = ['BUY', 'SELL', 'HOLD'];

/** LABEL_BUY → 'BUY' …; LABEL_NONE → null. */
export function classLabelOf(code: number): ClassLabel | null {
  return code >= 0 && code <= 2 ? NAMES[code] : null;
}
