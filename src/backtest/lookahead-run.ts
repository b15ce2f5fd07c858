import { timeframeMs } from '../core/types.ts';
import type { Candle, Timeframe } from '../core/types.ts';
import { isoDate } from './dates.ts';
import { loadBacktestData } from './data.ts';
import type { CandleSource } from './data.ts';
import { analyseLookahead, analyseRecursive, compareDecisions, cutPoints } from './lookahead.ts';
import type { LookaheadReport } from './lookahead.ts';
import { runBacktest } from './run.ts';
import type { BacktestDeps, BacktestRequest } from './run.ts';
import { sliceByTime } from './replay.ts';

export interface LookaheadRequest extends BacktestRequest {
  readonly cuts: number;
  /** Declared feature warm-up (candles) per timeframe, checked by the recursive analysis. */
  readonly warmup: (tf: Timeframe) => number;
  /** Relative tolerance of the recursive check (infinite-memory indicators converge, not match). */
  readonly recursiveTolerance: number;
}

export interface SeriesFinding {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly lookahead: LookaheadReport;
  readonly recursive: LookaheadReport;
}

export interface SignalDiff {
  readonly cutAt: string;
  readonly timestamp: string;
  readonly full: string | null;
  readonly truncated: string | null;
}

export interface LookaheadResult {
  readonly series: SeriesFinding[];
  readonly signalCuts: number;
  readonly signalsCompared: number;
  readonly signalDiffs: SignalDiff[];
  readonly clean: boolean;
}

function signalKey(s: {
  symbol: string;
  action: string;
  direction: string;
  size: number;
  price: number;
}): string {
  return `${s.symbol} ${s.action} ${s.direction} ${s.size.toPrecision(10)} @ ${s.price};`;
}

/**
 * Freqtrade-style look-ahead analysis of the whole decision path: (1) every feature of every
 * series on full vs truncated data, (2) recursive: features after the declared warm-up vs less
 * history, (3) the strategy's signals on the full range vs ranges cut at `cuts` points — a signal
 * at t must not change when data after t is removed.
 */
export async function runLookaheadAnalysis(
  req: LookaheadRequest,
  deps: BacktestDeps,
): Promise<LookaheadResult> {
  const tfs = [...new Set<Timeframe>([...req.timeframes, req.executionTimeframe])];
  const data = loadBacktestData(deps.source, req.symbols, tfs, req.executionTimeframe, req.from, req.to);
  const series: SeriesFinding[] = [];
  for (const symbol of req.symbols)
    for (const tf of req.timeframes) {
      const all = data.series[symbol][tf] ?? [];
      const warm = req.warmup(tf);
      // Enough history before `from` for the warm-up, and the range itself.
      const start = Math.max(0, sliceByTime(all, -Infinity, req.from).length - 2 * warm);
      const candles: Candle[] = all.slice(start);
      // Context series cut like the series itself: only candles closed by its last candle's close.
      const compute = (c: readonly Candle[]) => {
        const end = c.length > 0 ? c[c.length - 1].timestamp + timeframeMs(tf) : -Infinity;
        return deps.computeFeatures(c, tf, {
          symbol,
          candlesOf: (sym, t) => data.series[sym]?.[t]?.filter((x) => x.timestamp + timeframeMs(t) <= end),
        });
      };
      series.push({
        symbol,
        timeframe: tf,
        lookahead: analyseLookahead(candles, compute, { cuts: req.cuts, minLength: warm + 1, tolerance: 0 }),
        recursive: analyseRecursive(candles, compute, {
          warmup: warm,
          starts: Math.min(3, req.cuts),
          tolerance: req.recursiveTolerance,
        }),
      });
    }

  const full = await runBacktest({ ...req, skipBaseline: true }, deps);
  const exec = timeframeMs(req.executionTimeframe);
  const grid = Math.floor((req.to - req.from) / exec);
  const diffs: SignalDiff[] = [];
  const points = cutPoints(grid, req.cuts, 1).map((k) => req.from + k * exec);
  let compared = 0;
  for (const cut of points) {
    // The store itself is cut too: a strategy that reads data outside the replay must not see it.
    const source: CandleSource = {
      describe: `${deps.source.describe} (cut at ${isoDate(cut)})`,
      load: (s, tf) => deps.source.load(s, tf)?.filter((c) => c.timestamp + timeframeMs(tf) <= cut) ?? null,
    };
    const part = await runBacktest({ ...req, to: cut, skipBaseline: true }, { ...deps, source });
    // Signals are stamped with the triggering candle's open time; that candle closed by `cut`.
    const cutAt = cut - exec;
    compared += part.signals.length;
    for (const d of compareDecisions(full.signals, part.signals, cutAt, signalKey))
      diffs.push({
        cutAt: isoDate(cut),
        timestamp: isoDate(d.timestamp),
        full: d.full,
        truncated: d.truncated,
      });
  }
  const clean =
    diffs.length === 0 &&
    series.every((s) => s.lookahead.findings.length === 0 && s.recursive.findings.length === 0);
  return { series, signalCuts: points.length, signalsCompared: compared, signalDiffs: diffs, clean };
}
