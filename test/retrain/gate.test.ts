import { describe, expect, it } from 'vitest';
import { retrainSchema } from '../../src/config/index.ts';
import type { GateFigures } from '../../src/retrain/index.ts';
import { emptyRegistry, addVersion, judge, recordGate, findVersion } from '../../src/retrain/index.ts';

const g = retrainSchema.parse({}).gate;
const good: GateFigures = {
  sharpe: 1.5,
  maxDrawdown: 0.08,
  winRate: 0.52,
  profitFactor: 1.4,
  signals: 40,
  bandCoverage: 0.81,
  ece: 0.03,
};
const at = '2026-01-01T00:00:00.000Z';

describe('validation gate', () => {
  it('passes a good candidate with no active model (absolute thresholds only)', () => {
    const v = judge(good, null, g, at);
    expect(v).toMatchObject({ passed: true, reasons: [] });
    expect(v.figures).toMatchObject({ candidate: good, active: null, thresholds: g });
  });

  it('names every failed rule with its config key', () => {
    const bad: GateFigures = {
      sharpe: -0.4,
      maxDrawdown: 0.3,
      winRate: 0.2,
      profitFactor: 0.6,
      signals: 2,
      bandCoverage: 0.55,
      ece: 0.2,
    };
    const v = judge(bad, good, g, at);
    expect(v.passed).toBe(false);
    for (const key of [
      'minSignals',
      'maxDrawdown',
      'minWinRate',
      'minProfitFactor',
      'coverageTolerance',
      'maxEce',
      'minSharpeRatio',
    ])
      expect(v.reasons.join('\n')).toContain(`retrain.gate.${key}`);
  });

  it('compares Sharpe relative to the active model at the boundary', () => {
    expect(judge({ ...good, sharpe: 0.95 * 1.5 }, good, g, at).passed).toBe(true);
    expect(judge({ ...good, sharpe: 0.94 * 1.5 }, good, g, at).passed).toBe(false);
    // A negative active Sharpe is not a bar to scale: only the absolute rules apply.
    expect(judge({ ...good, sharpe: 0.1 }, { ...good, sharpe: -1 }, g, at).passed).toBe(true);
    expect(judge({ ...good, sharpe: null }, null, g, at).passed).toBe(false);
  });

  it('stores the verdict; a failed candidate becomes rejected', () => {
    const reg = emptyRegistry();
    addVersion(
      reg,
      {
        version: 'c1',
        timeframe: '1h',
        parent: null,
        trainingWindow: null,
        dataHash: null,
        seed: 1,
        metrics: {},
      },
      at,
    );
    const v = judge({ ...good, signals: 0 }, null, g, at);
    recordGate(reg, '1h', 'c1', v);
    expect(findVersion(reg, '1h', 'c1')).toMatchObject({ status: 'rejected', gate: { passed: false } });
  });
});
