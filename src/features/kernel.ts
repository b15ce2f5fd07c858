import { checkCandle, checkOrder } from './candle-check.ts';
import { SeededEma } from './indicators/ema.ts';
import { Ring } from './indicators/ring.ts';
import type { Candle } from '../core/types.ts';
import type { FeatureSpec } from './spec.ts';

const DAY_MS = 86_400_000;
const TWO_PI = 2 * Math.PI;
/** Below this relative spread a window is treated as flat (its std is rounding noise, not signal). */
const FLAT = 1e-12;
/** Floor of a volatility before its log (a flat window would give −∞); far below one price tick. */
const VOL_FLOOR = 1e-6;
/** Parkinson's constant: E[ln(H/L)²] = 4 ln 2 · σ² for a driftless Brownian motion. */
const PARKINSON = 1 / (4 * Math.LN2);
/** Garman–Klass weight of the open-to-close term. */
const GK_OC = 2 * Math.LN2 - 1;

function logSigma(sd: number): number {
  return Math.log(Math.max(VOL_FLOOR, sd));
}

function logVol(variance: number): number {
  return logSigma(Math.sqrt(Math.max(0, variance)));
}

/**
 * The one implementation of every feature: an O(1)-per-candle state machine (windowed statistics
 * cost O(window), independent of history length). Batch and streaming both drive it, so their
 * outputs are identical bit for bit.
 *
 * A gap (open time more than one candle after the previous one) resets every indicator: the rows
 * of the next `warmup` candles are NaN, so no feature ever mixes candles across a gap.
 */
export class FeatureKernel {
  readonly width: number;
  private readonly closes: Ring;
  private readonly rets: Ring;
  private readonly volume: Ring;
  private readonly logVol: Ring;
  /** Per-candle Parkinson and Garman–Klass variance terms (range group). */
  private readonly parkTerm: Ring;
  private readonly gkTerm: Ring;
  /** Highs and lows for the Donchian channel (trend group). */
  private readonly highs: Ring;
  private readonly lows: Ring;
  private readonly gain: SeededEma;
  private readonly loss: SeededEma;
  private readonly atr: SeededEma;
  private readonly fast: SeededEma;
  private readonly slow: SeededEma;
  private readonly signal: SeededEma;
  private prevClose = NaN;
  private macd = NaN;
  private macdSignal = NaN;
  private avgGain = NaN;
  private avgLoss = NaN;
  private avgTr = NaN;
  private lastTs = NaN;
  /** Candles since the last reset, this one included once `step` has run. */
  private seen = 0;

  constructor(readonly spec: FeatureSpec) {
    this.width = spec.names.length;
    this.closes = new Ring(
      Math.max(
        Math.max(...spec.returnLags) + 1,
        spec.bollinger.period,
        ...spec.momentumLags.map((l) => l + 1),
      ),
    );
    // One ring of returns serves rvol and every HAR span (each statistic reads only its newest n).
    this.rets = new Ring(Math.max(spec.volatilityWindow, ...spec.harWindows));
    this.parkTerm = new Ring(spec.rangeWindow);
    this.gkTerm = new Ring(spec.rangeWindow);
    this.highs = new Ring(spec.donchian);
    this.lows = new Ring(spec.donchian);
    this.volume = new Ring(spec.volumeWindow);
    this.logVol = new Ring(spec.volumeWindow);
    this.gain = SeededEma.wilder(spec.rsiPeriod);
    this.loss = SeededEma.wilder(spec.rsiPeriod);
    this.atr = SeededEma.wilder(spec.atrPeriod);
    this.fast = SeededEma.classic(spec.macd.fast);
    this.slow = SeededEma.classic(spec.macd.slow);
    this.signal = SeededEma.classic(spec.macd.signal);
  }

  /** Open time of the last candle fed (NaN before the first). */
  get lastTimestamp(): number {
    return this.lastTs;
  }

  /** Contiguous candles fed since the start or the last gap. */
  get segmentLength(): number {
    return this.seen;
  }

  reset(): void {
    for (const r of [
      this.closes,
      this.rets,
      this.volume,
      this.logVol,
      this.parkTerm,
      this.gkTerm,
      this.highs,
      this.lows,
    ])
      r.clear();
    for (const e of [this.gain, this.loss, this.atr, this.fast, this.slow, this.signal]) e.reset();
    this.prevClose = NaN;
    this.macd = NaN;
    this.macdSignal = NaN;
    this.avgGain = NaN;
    this.avgLoss = NaN;
    this.avgTr = NaN;
    this.lastTs = NaN;
    this.seen = 0;
  }

  /**
   * Feeds one closed candle and writes its feature row to `out[offset .. offset + width)`, NaN while
   * warming up. Returns whether the row is valid. Throws DATA_INVALID on a bad or out-of-order candle.
   */
  step(c: Candle, out: Float32Array | Float64Array, offset: number): boolean {
    checkCandle(c);
    if (!Number.isNaN(this.lastTs)) {
      checkOrder(this.lastTs, c.timestamp, this.spec.tfMs);
      if (c.timestamp - this.lastTs !== this.spec.tfMs) this.reset();
    }
    this.lastTs = c.timestamp;
    this.update(c);
    this.seen++;
    if (this.seen <= this.spec.warmup) {
      out.fill(NaN, offset, offset + this.width);
      return false;
    }
    this.write(c, out, offset);
    return true;
  }

  private update(c: Candle): void {
    const close = c.close;
    this.closes.push(close);
    this.volume.push(c.volume);
    const meanVolume = this.volume.mean(this.spec.volumeWindow);
    if (meanVolume > 0) this.logVol.push(Math.log(c.volume + 1e-3 * meanVolume));
    // A whole window without volume (exchange maintenance) carries the last value: "unchanged".
    else if (meanVolume === 0) this.logVol.push(this.logVol.length > 0 ? this.logVol.back(0) : 0);
    const macdFast = this.fast.push(close);
    const macdSlow = this.slow.push(close);
    if (!Number.isNaN(macdSlow)) this.macd = macdFast - macdSlow;
    this.macdSignal = Number.isNaN(this.macd) ? NaN : this.signal.push(this.macd);
    if (this.spec.rangeWindow > 0) {
      const hl = Math.log(c.high / c.low);
      const co = Math.log(c.close / c.open);
      this.parkTerm.push(PARKINSON * hl * hl);
      this.gkTerm.push(0.5 * hl * hl - GK_OC * co * co);
    }
    if (this.spec.donchian > 0) {
      this.highs.push(c.high);
      this.lows.push(c.low);
    }
    if (!Number.isNaN(this.prevClose)) {
      const prev = this.prevClose;
      this.rets.push(Math.log(close / prev));
      const change = close - prev;
      this.avgGain = this.gain.push(change > 0 ? change : 0);
      this.avgLoss = this.loss.push(change < 0 ? -change : 0);
      const tr = Math.max(c.high - c.low, Math.abs(c.high - prev), Math.abs(c.low - prev));
      this.avgTr = this.atr.push(tr);
    }
    this.prevClose = close;
  }

  /**
   * z-score of x = log(volume + δ) over the last `volumeWindow` candles, where each candle's δ is
   * 1e-3 × the mean volume of the window ending at that candle (fixed when the candle arrives, so
   * each step costs one log). δ keeps zero-volume (maintenance) candles finite and scales with
   * volume, so the feature does not change when volume is counted in other units. 0 for a flat window.
   */
  private volumeZ(): number {
    const w = this.spec.volumeWindow;
    const m = this.logVol.mean(w);
    const sd = this.logVol.std(w, m);
    return sd <= FLAT * Math.max(1, Math.abs(m)) ? 0 : (this.logVol.back(0) - m) / sd;
  }

  private write(c: Candle, out: Float32Array | Float64Array, offset: number): void {
    const s = this.spec;
    const close = c.close;
    let k = offset;
    for (const lag of s.returnLags) out[k++] = Math.log(close / this.closes.back(lag));
    out[k++] = this.rets.rms(s.volatilityWindow);
    const gl = this.avgGain + this.avgLoss;
    out[k++] = gl > 0 ? this.avgGain / gl : 0.5;
    out[k++] = this.macd / close;
    out[k++] = this.macdSignal / close;
    out[k++] = (this.macd - this.macdSignal) / close;
    const p = s.bollinger.period;
    const mid = this.closes.mean(p);
    const sd = this.closes.std(p, mid);
    const flatPrice = sd <= FLAT * mid;
    out[k++] = flatPrice ? 0.5 : (close - mid) / (2 * s.bollinger.stdDev * sd) + 0.5;
    out[k++] = flatPrice ? 0 : (2 * s.bollinger.stdDev * sd) / mid;
    out[k++] = this.avgTr / close;
    out[k++] = this.volumeZ();
    out[k++] = Math.log(c.high / c.low);
    out[k++] = c.high > c.low ? (close - c.low) / (c.high - c.low) : 0.5;
    if (s.timeOfDay) {
      const a = (TWO_PI * (((c.timestamp % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
      out[k++] = Math.sin(a);
      out[k++] = Math.cos(a);
    }
    if (s.dayOfWeek) {
      // 1970-01-01 was a Thursday: +3 makes Monday 0.
      const day = (((Math.floor(c.timestamp / DAY_MS) + 3) % 7) + 7) % 7;
      const a = (TWO_PI * day) / 7;
      out[k++] = Math.sin(a);
      out[k++] = Math.cos(a);
    }
    this.writeExtras(close, out, k);
  }

  /** The optional groups (HAR, range, trend), in the order of featureNamesOf. */
  private writeExtras(close: number, out: Float32Array | Float64Array, from: number): void {
    const s = this.spec;
    let k = from;
    for (const n of s.harWindows) out[k++] = logSigma(this.rets.rms(n));
    if (s.rangeWindow > 0) {
      out[k++] = logVol(this.parkTerm.mean(s.rangeWindow));
      // Garman–Klass can dip below 0 on a window of dojis with wide open-close moves: floor it.
      out[k++] = logVol(this.gkTerm.mean(s.rangeWindow));
    }
    for (const l of s.momentumLags) out[k++] = Math.log(close / this.closes.back(l));
    if (s.donchian > 0) {
      const hi = this.highs.max(s.donchian);
      const lo = this.lows.min(s.donchian);
      out[k] = hi > lo ? (close - lo) / (hi - lo) : 0.5;
    }
  }
}
