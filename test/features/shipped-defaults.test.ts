import { describe, expect, it } from 'vitest';
import { loadConfig, modelConfigFor } from '../../src/config/index.ts';
import { featureNames, featureWarmup } from '../../src/features/index.ts';

describe('the shipped config/default.yaml turns on the groups the feature ablation chose', () => {
  const c = loadConfig('config/default.yaml');

  it('5m: range estimators, volatility-scaled quantile targets (conformal offsets in σ units); 1h: HAR, unscaled, additive; trend nowhere', () => {
    expect(featureNames('5m', c.features)).toEqual(expect.arrayContaining(['park_lvol_24', 'gk_lvol_24']));
    expect(featureNames('5m', c.features).some((n) => n.startsWith('har_'))).toBe(false);
    expect(featureNames('1h', c.features)).toEqual(
      expect.arrayContaining(['har_lrv_1', 'har_lrv_24', 'har_lrv_168']),
    );
    expect(featureNames('1h', c.features).some((n) => n.startsWith('park_'))).toBe(false);
    for (const tf of ['5m', '1h', '12h', '1d'] as const)
      expect(featureNames(tf, c.features).some((n) => /^(mom|donchian)_/.test(n))).toBe(false);
    // 5m: targets scaled by rvol, so additive offsets are σ-scaled (chosen on the dev split, docs/benchmarks.md).
    expect(modelConfigFor(c, '5m')).toMatchObject({
      targetScaling: 'volatility',
      conformalScale: 'additive',
    });
    expect(modelConfigFor(c, '1h')).toMatchObject({ targetScaling: 'none', conformalScale: 'additive' });
  });

  it('without raising the warm-up (the 1-week HAR span is 168 1h candles, below the EMA warm-up)', () => {
    expect(featureWarmup('1h', c.features)).toBe(
      featureWarmup('1h', { ...c.features, overrides: undefined }),
    );
  });
});
