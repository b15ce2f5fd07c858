import type { StrategyConfig } from '../config/index.ts';
import type { Direction, Forecast, ModelTimeframe } from '../core/types.ts';
import type { DecisionReason } from './reasons.ts';

export type Regime = 'trending' | 'ranging' | 'volatile' | 'unknown';

export interface FusionInput {
  readonly direction: Direction;
  /** Latest forecast per timeframe (missing = still warming up, treated as neutral). */
  readonly forecasts: Partial<Record<ModelTimeframe, Forecast>>;
  /** Median P10–P90 band width of recent 12h forecasts (for the regime), or NaN if unknown. */
  readonly medianRegimeBand: number;
}

export interface FusionResult {
  readonly veto: DecisionReason | null;
  /** Multiplier on the position size (1 = full). */
  readonly sizeFactor: number;
  readonly regime: Regime;
  /** Weighted directional score in [-1, 1] across available timeframes (+ = long). */
  readonly score: number;
  readonly notes: readonly string[];
}

/** +1 when the forecast leans the same way as `direction`, −1 against, scaled by conviction. */
function agreement(f: Forecast, direction: Direction): number {
  const lean = f.pBuy - f.pSell;
  return direction === 'long' ? lean : -lean;
}

export function regimeOf(f: Forecast | undefined, medianBand: number, volatileMultiple: number): Regime {
  if (!f) return 'unknown';
  const band = f.q90 - f.q10;
  if (Number.isFinite(medianBand) && medianBand > 0 && band > volatileMultiple * medianBand)
    return 'volatile';
  // A median forecast far from zero relative to its own spread is a directional (trending) market.
  return Math.abs(f.q50) > 0.25 * band ? 'trending' : 'ranging';
}

/**
 * Multi-timeframe fusion: 24h sets the strategic bias, 12h the regime, 1h the tactical direction,
 * 5m the entry. A higher timeframe that leans against the trade vetoes or shrinks it (config);
 * a volatile regime shrinks it (or vetoes when its size factor is 0).
 */
export function fuse(input: FusionInput, cfg: StrategyConfig): FusionResult {
  const fc = cfg.fusion;
  const notes: string[] = [];
  let sizeFactor = 1;
  let veto: DecisionReason | null = null;

  let weighted = 0;
  let weightSum = 0;
  for (const tf of cfg.timeframes) {
    const f = input.forecasts[tf];
    const w = fc.weights[tf] ?? 0;
    if (!f) {
      notes.push(`${tf}: no forecast yet (neutral)`);
      continue;
    }
    weighted += w * agreement(f, input.direction);
    weightSum += w;
  }
  const score = weightSum > 0 ? weighted / weightSum : 0;

  const contradictions: Array<[ModelTimeframe, DecisionReason]> = [
    ['1d', 'vetoed_24h'],
    ['1h', 'vetoed_1h'],
  ];
  for (const [tf, reason] of contradictions) {
    const f = input.forecasts[tf];
    if (!f || !cfg.timeframes.includes(tf) || agreement(f, input.direction) >= 0) continue;
    if (fc.contradiction === 'veto') {
      veto ??= reason;
      notes.push(`${tf} leans against the trade: veto`);
    } else if (fc.contradiction === 'shrink') {
      sizeFactor *= fc.shrinkFactor;
      notes.push(`${tf} leans against the trade: size ×${fc.shrinkFactor}`);
    }
  }

  const regime = cfg.timeframes.includes('12h')
    ? regimeOf(input.forecasts['12h'], input.medianRegimeBand, fc.volatileRegimeMultiple)
    : 'unknown';
  if (regime === 'volatile') {
    if (fc.volatileSizeFactor === 0) veto ??= 'vetoed_12h_regime';
    sizeFactor *= fc.volatileSizeFactor;
    notes.push(`12h regime volatile: size ×${fc.volatileSizeFactor}`);
  }
  return { veto, sizeFactor, regime, score, notes };
}
