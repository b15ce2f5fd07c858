import type { ForecastMetrics } from '../src/models/index.ts';

/** Model ÷ baseline; null when there is no baseline to divide by. */
const ratio = (m: { model: number; baseline: number | null }): number | null =>
  m.baseline === null || m.baseline === 0 ? null : m.model / m.baseline;

const within = (x: number, c: number, tol: number): boolean => Math.abs(x - c) <= tol;

/**
 * The #15 forecast targets of one evaluation, the one definition both forecast benches
 * (feature-ablation, target-scaling) report: pinball ≤ 0.95 × the rolling baseline on the mean and
 * < 1 on each quantile, P10/P90 exceedance 10 ± 2 % and band coverage 80 ± 3 % within each
 * volatility tercile, Brier skill > 0.
 */
export function forecastTargets(m: ForecastMetrics) {
  const pq = m.pinballByQuantile;
  const pinballRatio = {
    q10: ratio(pq['0.1']),
    q50: ratio(pq['0.5']),
    q90: ratio(pq['0.9']),
    mean: ratio(m.pinball),
  };
  const terciles = (m.coverageByVolatility ?? []).map((t) => ({
    q10: t.exceedance['0.1'],
    q90: t.exceedance['0.9'],
    band: t.bandCoverage,
    samples: t.samples,
  }));
  const r = pinballRatio;
  return {
    pinballRatio,
    terciles,
    targets: {
      pinballMean: r.mean !== null && r.mean <= 0.95,
      pinballEach: [r.q10, r.q50, r.q90].every((x) => x !== null && x < 1),
      tercileExceedance:
        terciles.length === 3 && terciles.every((t) => within(t.q10, 0.1, 0.02) && within(t.q90, 0.1, 0.02)),
      tercileCoverage: terciles.length === 3 && terciles.every((t) => within(t.band, 0.8, 0.03)),
      brierSkill: m.brierSkill !== null && m.brierSkill > 0,
    },
  };
}
