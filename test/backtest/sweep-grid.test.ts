import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gridPoints, parseGridArg, setPath, sweepConfigs } from '../../src/backtest/index.ts';
import type { GridValue } from '../../src/backtest/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { isQuantgateError } from '../../src/core/index.ts';
import { runCli } from '../support/cli.ts';

const RAW = {
  exchange: { name: 'binance', symbols: ['BTC/USDT'] },
  strategy: { thresholds: { confidence: 0.6 } },
};
const configFor = (o: Readonly<Record<string, GridValue>>) => {
  const raw = structuredClone(RAW) as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) setPath(raw, k, v);
  return parseConfig(raw, 'test.yaml');
};

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isQuantgateError(e) && e.code).toBe('USAGE');
    expect(isQuantgateError(e) && e.exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

const check = (...grid: string[]) => {
  const axes = grid.map((g) => parseGridArg(g));
  return sweepConfigs(axes, gridPoints(axes, 500), configFor);
};

describe('--grid parsing', () => {
  it('expands an inclusive range without float drift', () => {
    expect(parseGridArg('strategy.thresholds.confidence=0.40:0.70:0.05')).toEqual({
      key: 'strategy.thresholds.confidence',
      values: [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7],
    });
    expect(parseGridArg('a.b=0.1:0.3:0.1').values).toEqual([0.1, 0.2, 0.3]); // not 0.30000000000000004, and 0.3 kept
    expect(parseGridArg('a.b=1:2:0.3').values).toEqual([1, 1.3, 1.6, 1.9]);
    expect(parseGridArg('a.b=5:5:1').values).toEqual([5]);
  });
  it('reads lists of numbers, booleans and words', () => {
    expect(parseGridArg('strategy.thresholds.minRiskReward=1.0,1.2,1.5').values).toEqual([1, 1.2, 1.5]);
    expect(parseGridArg('strategy.sizing.allowShort=true,false').values).toEqual([true, false]);
    expect(parseGridArg('strategy.fusion.contradiction=veto, shrink').values).toEqual(['veto', 'shrink']);
  });
  it('rejects malformed specs with a usage error naming the key', () => {
    expect(usageError(() => parseGridArg('confidence'))).toMatch(/expected key=a:b:step or key=v1,v2/);
    expect(usageError(() => parseGridArg('a.b=0.7:0.4:0.05'))).toMatch(
      /a\.b: the range 0\.7:0\.4:0\.05 ends below/,
    );
    expect(usageError(() => parseGridArg('a.b=0:1:0'))).toMatch(/step must be positive/);
    expect(usageError(() => parseGridArg('a.b=0:x:1'))).toMatch(/three numbers/);
    expect(usageError(() => parseGridArg('a.b=1,,2'))).toMatch(/empty value/);
    expect(usageError(() => parseGridArg('a.b=1,1.0'))).toMatch(/value 1 appears twice/);
    expect(usageError(() => parseGridArg('a.b=0:1000000:1', 500))).toMatch(/1000001 values \(limit 500\)/);
  });
  it('takes the cartesian product (first axis slowest) and caps it', () => {
    const axes = [
      parseGridArg('strategy.thresholds.confidence=0.4,0.5'),
      parseGridArg('risk.minRiskReward=1,2,3'),
    ];
    const pts = gridPoints(axes, 6);
    expect(pts.map((p) => p.label)).toEqual([
      'confidence=0.4 minRiskReward=1',
      'confidence=0.4 minRiskReward=2',
      'confidence=0.4 minRiskReward=3',
      'confidence=0.5 minRiskReward=1',
      'confidence=0.5 minRiskReward=2',
      'confidence=0.5 minRiskReward=3',
    ]);
    expect(pts[4].overrides).toEqual({ 'strategy.thresholds.confidence': 0.5, 'risk.minRiskReward': 2 });
    expect(usageError(() => gridPoints(axes, 5))).toMatch(
      /2 × 3 = 6 combinations, more than --max-combinations 5/,
    );
    expect(usageError(() => gridPoints([axes[0], axes[0]], 50))).toMatch(/given twice/);
    expect(usageError(() => gridPoints([], 50))).toMatch(/at least one/);
  });
});

describe('which keys may be swept (training key and forecast inputs unchanged)', () => {
  it('accepts strategy and risk keys and builds one config per combination', () => {
    const cs = check(
      'strategy.thresholds.confidence=0.4:0.5:0.05',
      'strategy.thresholds.minRiskReward=1,1.5',
    );
    expect(cs.map((c) => [c.strategy.thresholds.confidence, c.strategy.thresholds.minRiskReward])).toEqual([
      [0.4, 1],
      [0.4, 1.5],
      [0.45, 1],
      [0.45, 1.5],
      [0.5, 1],
      [0.5, 1.5],
    ]);
    expect(check('risk.maxOpenPositions=1,2', 'exchange.takerFee=0.001,0.002')).toHaveLength(4);
  });
  it('refuses keys that change training, naming the key and the reason', () => {
    expect(usageError(() => check('model.hidden=8,16'))).toMatch(
      /--grid model\.hidden: cannot be swept: model\.hidden=(8|16) changes the walk-forward training key/,
    );
    expect(usageError(() => check('labels.k=1,2'))).toMatch(/labels\.k: cannot be swept.*training key/);
    expect(usageError(() => check('features.rsiPeriod=10,14'))).toMatch(
      /features\.rsiPeriod: cannot be swept/,
    );
    expect(usageError(() => check('modelOverrides.1d.window=8,16'))).toMatch(/training key/);
  });
  it('refuses keys that change the forecasts without touching training', () => {
    expect(usageError(() => check('exchange.warmupCandles=100,200'))).toMatch(
      /exchange\.warmupCandles: cannot be swept: .* changes the forecasts' inputs/,
    );
    expect(usageError(() => check('data.modelsDir=a,b'))).toMatch(/forecasts' inputs/);
    expect(usageError(() => check('data.format=csv,freqtrade'))).toMatch(/forecasts' inputs/);
    expect(usageError(() => check('backtest.walkForwardDays=7,14'))).toMatch(/forecasts' inputs/);
    expect(usageError(() => check('strategy.executionTimeframe=5m,1h'))).toMatch(/forecasts' inputs/);
  });
  it('refuses unknown keys, sections and values the schema rejects', () => {
    expect(usageError(() => check('strategy.thresholds.confidance=0.5'))).toContain(
      '--grid strategy.thresholds.confidance: unknown config key (strategy.thresholds.confidance is not in the schema',
    );
    expect(usageError(() => check('nope.x=1'))).toMatch(
      /--grid nope\.x: unknown config key \(nope is not in the schema/,
    );
    expect(usageError(() => check('strategy.thresholds=1'))).toMatch(
      /is a section of the config, not a value/,
    );
    expect(usageError(() => check('strategy.thresholds.confidence=0.5,1.5'))).toMatch(
      /--grid strategy\.thresholds\.confidence=1\.5: not a valid config value \(strategy\.thresholds\.confidence: expected number between 0 and 1, got 1\.5\)/,
    );
  });
});

describe('quantgate sweep (CLI)', () => {
  it('refuses a training key with a usage error (exit 2) before any backtest', () => {
    const r = runCli([
      'sweep',
      '--symbols',
      'BTC/USDT',
      '--from',
      '2021-01-01',
      '--to',
      '2021-02-01',
      '--grid',
      'strategy.thresholds.confidence=0.4:0.7:0.05',
      '--grid',
      'model.hidden=16,32',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /error \[USAGE\]: --grid model\.hidden: cannot be swept: model\.hidden=(16|32) changes the walk-forward training key/,
    );
    const u = runCli(['sweep', '--grid', 'strategy.thresholds.nope=1']);
    expect(u.status).toBe(2);
    expect(u.stderr).toContain('--grid strategy.thresholds.nope: unknown config key');
  });

  it('refuses a --report that is not .html, or a file quantgate did not write, before any backtest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qg-sweep-out-'));
    try {
      const mine = join(dir, 'notes.html');
      writeFileSync(mine, '<!doctype html><html><head><title>my notes</title></head></html>');
      const args = ['sweep', '--symbols', 'BTC/USDT', '--grid', 'strategy.thresholds.confidence=0.4,0.5'];
      const ext = runCli([...args, '--report', join(dir, 'sweep.json')]);
      expect(ext.status).toBe(2);
      expect(ext.stderr).toContain('--report: expected a file name ending in .html');
      const theirs = runCli([...args, '--report', mine]);
      expect(theirs.status).toBe(2);
      expect(theirs.stderr).toContain('exists and was not written by quantgate; refusing to overwrite it');
      expect(readFileSync(mine, 'utf8')).toContain('my notes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
