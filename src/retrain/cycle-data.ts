import { createHash } from 'node:crypto';
import type { RetrainConfig } from '../config/index.ts';
import type { DataFormat, ExchangeId, ModelTimeframe } from '../core/types.ts';
import { timeframeMs } from '../core/types.ts';
import { loadSeries } from '../exchange/load-series.ts';
import { checkDataQuality } from './data-quality.ts';
import type { QualityReport, QualitySeries } from './data-quality.ts';
import type { Holdout } from './holdout-eval.ts';

/** What a cycle's data step needs (plain data: it crosses into a worker thread). */
export interface CycleDataRequest {
  readonly dataDir: string;
  readonly exchange: ExchangeId;
  readonly timeframe: ModelTimeframe;
  readonly symbols: readonly string[];
  readonly skipBadRows: boolean;
  /** data.format (absent = auto). */
  readonly format?: DataFormat;
  /** The cycle's clock: only candles closed by then are used. */
  readonly now: number;
  readonly dataQuality: RetrainConfig['dataQuality'];
  readonly holdoutFraction: number;
}

/** The data step's verdict: small, so handing it back to the trading thread costs nothing. */
export interface CycleData {
  readonly quality: QualityReport;
  /** null when the quality check failed (nothing is trained). */
  readonly holdout: Holdout | null;
  /** Hash of the candles before the hold-out (what the candidate trains on); null with no hold-out. */
  readonly dataHash: string | null;
}

/** [from, to): the last `fraction` of the span all symbols share, on candle boundaries. */
export function holdoutOf(
  series: readonly QualitySeries[],
  tf: ModelTimeframe,
  to: number,
  fraction: number,
): Holdout {
  const ms = timeframeMs(tf);
  const start = Math.max(...series.map((s) => s.candles[0]?.timestamp ?? to));
  return { from: Math.floor((to - (to - start) * fraction) / ms) * ms, to };
}

/** Short hash of what the candidate trained on (symbols, candle counts and end points). */
export function dataHash(series: readonly QualitySeries[], to: number): string {
  const desc = series.map((s) => {
    const c = s.candles.filter((x) => x.timestamp < to);
    return [
      s.symbol,
      c.length,
      c[0]?.timestamp ?? null,
      c[c.length - 1]?.timestamp ?? null,
      c[c.length - 1]?.close ?? null,
    ];
  });
  return createHash('sha256').update(JSON.stringify(desc)).digest('hex').slice(0, 16);
}

/**
 * Reads every symbol's candles closed by `now`, checks them and places the hold-out. Reading and
 * validating years of CSV takes hundreds of ms, so a cycle runs this in a worker (inspect-worker).
 * Throws when a series cannot be read at all.
 */
export function inspectCycleData(r: CycleDataRequest): CycleData {
  const ms = timeframeMs(r.timeframe);
  const to = Math.floor(r.now / ms) * ms;
  const series: QualitySeries[] = r.symbols.map((symbol) => ({
    symbol,
    candles: loadSeries(r.dataDir, r.exchange, r.timeframe, symbol, {
      skipBadRows: r.skipBadRows,
      format: r.format,
    }).candles.filter((c) => c.timestamp < to),
  }));
  const quality = checkDataQuality(series, r.timeframe, r.now, r.dataQuality);
  if (!quality.ok) return { quality, holdout: null, dataHash: null };
  // The hold-out ends where the candles end (the earliest series' last close), not at the wall
  // clock: a store that stops earlier (replayed history, relaxed staleness) must still hold it.
  const lastClose = Math.min(...series.map((s) => (s.candles.at(-1)?.timestamp ?? -Infinity) + ms));
  const end = Number.isFinite(lastClose) ? Math.min(to, lastClose) : to;
  const holdout = holdoutOf(series, r.timeframe, end, r.holdoutFraction);
  return { quality, holdout, dataHash: dataHash(series, holdout.from) };
}
