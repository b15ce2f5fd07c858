import { describe, expect, it } from 'vitest';
import { computeFeatures, makeLabels } from '../../src/features/index.ts';
import { featuresSchema } from '../../src/config/index.ts';
import { conformalScaling, scaleAt } from '../../src/models/conformal-scale.ts';
import { fixtureCandles } from '../features/support.ts';

describe('conformal scaling choice', () => {
  const names = ['ret_1', 'rvol_24', 'har_lrv_12', 'har_lrv_288'];

  it('additive has none, volatility uses rvol, har the HAR log-volatilities; missing features are config errors', () => {
    expect(conformalScaling('additive', names)).toBeUndefined();
    expect(conformalScaling('volatility', names)).toEqual({ scaleFeature: 'rvol_24' });
    expect(conformalScaling('har', names)).toEqual({ logScaleFeatures: ['har_lrv_12', 'har_lrv_288'] });
    expect(() => conformalScaling('har', ['ret_1', 'rvol_24'])).toThrow(/features\.har\.enabled/);
  });

  it('the scale of a sample is the geometric mean of its HAR volatilities at t (causal, from row t)', () => {
    const candles = fixtureCandles('1h', 'BTCUSDT').slice(0, 600);
    const cfg = featuresSchema.parse({ har: { enabled: true, hours: [1, 24] } });
    const features = computeFeatures(candles, '1h', cfg);
    const s = {
      symbol: 'BTC/USDT',
      timestamps: candles.map((c) => c.timestamp),
      features,
      labels: makeLabels(candles, 6, 1.5, 24, '1h'),
    };
    const t = 500;
    const w = features.names.length;
    const h1 = features.rows[t * w + features.names.indexOf('har_lrv_1')];
    const h24 = features.rows[t * w + features.names.indexOf('har_lrv_24')];
    const sc = conformalScaling('har', features.names);
    expect(sc).toBeDefined();
    if (!sc) return;
    expect(scaleAt(s, t, sc)).toBeCloseTo(Math.exp((h1 + h24) / 2), 12);
    expect(scaleAt(s, t, { scaleFeature: 'rvol_24' })).toBe(
      features.rows[t * w + features.names.indexOf('rvol_24')],
    );
  });
});
