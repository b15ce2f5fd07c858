import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withTrainHint } from '../../src/cli/commands/backtest.ts';
import {
  activation,
  activationText,
  parseModelTimeframe,
  trainTimeframes,
} from '../../src/cli/commands/train.ts';
import { overallEta, trainReporter } from '../../src/cli/train-progress.ts';
import { missingModels, trainCommand } from '../../src/cli/train-hint.ts';
import { loadConfigSources } from '../../src/config/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/core/logger.ts';
import { activeVersionDir } from '../../src/models/index.ts';
import type { TrainModelResult, TrainProgress } from '../../src/models/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-train-tfs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train --timeframes', () => {
  it('defaults to every timeframe the strategy declares', () => {
    expect(trainTimeframes({}, ['5m', '1h', '12h', '1d'])).toEqual(['5m', '1h', '12h', '1d']);
  });
  it('reads a list in order, 24h as 1d, without repeats; --timeframe is the one-item form', () => {
    expect(trainTimeframes({ timeframes: '1d, 5m,24h' }, ['5m'])).toEqual(['1d', '5m']);
    expect(trainTimeframes({ timeframe: '24h' }, ['5m'])).toEqual(['1d']);
    expect(trainTimeframes({ timeframes: '5m', timeframe: '1h' }, [])).toEqual(['5m', '1h']);
  });
  it('names the option and prints 1d, not 24h, in its error', () => {
    expect(() => trainTimeframes({ timeframes: '5m,3m' }, [])).toThrow(
      '--timeframes: unknown timeframe "3m" (expected one of 5m, 1h, 12h, 1d; 24h = 1d)',
    );
    expect(() => trainTimeframes({ timeframes: ',' }, [])).toThrow('--timeframes: expected a list');
    expect(parseModelTimeframe('24h')).toBe('1d');
  });
});

describe('one ETA across timeframes', () => {
  it('before any timeframe finished, the rest count at their time budget: an upper bound', () => {
    expect(
      overallEta({ currentEtaMs: 60_000, finishedMs: [], remainingBudgetsMs: [600_000, 600_000] }),
    ).toEqual({ ms: 1_260_000, upperBound: true });
  });
  it('after one finished, the rest count at the mean finished duration, capped by their budget', () => {
    expect(
      overallEta({
        currentEtaMs: 10_000,
        finishedMs: [100_000, 300_000],
        remainingBudgetsMs: [600_000, 50_000],
      }),
    ).toEqual({ ms: 10_000 + 200_000 + 50_000, upperBound: false });
    expect(overallEta({ currentEtaMs: 5_000, finishedMs: [], remainingBudgetsMs: [] })).toEqual({
      ms: 5_000,
      upperBound: false,
    });
  });

  const event = (kind: 'step' | 'epoch', epoch: number, step: number): TrainProgress => ({
    kind,
    epoch,
    epochs: 3,
    step,
    stepsPerEpoch: 4,
    loss: 0.5,
    valLoss: kind === 'epoch' ? 0.6 : null,
    bestValLoss: null,
    learningRate: 0.001,
    gradNorm: 1,
    elapsedMs: 1000,
    etaMs: 2000,
  });

  it('without a terminal: one line per epoch, never per step, naming the timeframe', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', destination: { write: (s: string) => lines.push(s) } });
    const r = trainReporter(
      logger,
      false,
      { timeframes: ['5m', '1h'], budgetsMs: { '5m': 60_000, '1h': 60_000 } },
      () => 0,
    );
    for (const tf of ['5m', '1h'] as const) {
      r.start(tf, tf === '5m' ? 0 : 1);
      for (let e = 1; e <= 3; e++) {
        for (let s = 1; s <= 4; s++) r.update(event('step', e, s));
        r.update(event('epoch', e, 4));
      }
      r.finish(tf, 10_000);
    }
    r.stop();
    const msgs = lines.map((l) => JSON.parse(l) as { msg: string; timeframe: string; allEta?: string });
    expect(msgs.map((m) => m.msg)).toEqual([
      'training 5m (1/2)',
      '5m epoch 1/3 loss 0.5000',
      '5m epoch 2/3 loss 0.5000',
      '5m epoch 3/3 loss 0.5000',
      'training 1h (2/2)',
      '1h epoch 1/3 loss 0.5000',
      '1h epoch 2/3 loss 0.5000',
      '1h epoch 3/3 loss 0.5000',
    ]);
    expect(msgs[1].allEta).toBe('≤1m02s');
    expect(msgs[5].allEta).toBe('~2s');
  });
});

describe('missing models: the exact command to train them', () => {
  const modelsDir = join(dir, 'models');
  // A complete-looking version (the ACTIVE reader wants a manifest inside); 1h's has none: not a model.
  mkdirSync(join(modelsDir, '5m', '20240101-000000'), { recursive: true });
  writeFileSync(join(modelsDir, '5m', '20240101-000000', 'manifest.json'), '{}');
  mkdirSync(join(modelsDir, '1h', '20240101-000000'), { recursive: true });
  // 12h has a complete version but no ACTIVE pointer: not a model live or backtest may load.
  mkdirSync(join(modelsDir, '12h', '20240101-000000'), { recursive: true });
  writeFileSync(join(modelsDir, '12h', '20240101-000000', 'manifest.json'), '{}');
  writeFileSync(join(modelsDir, '5m', 'ACTIVE'), '20240101-000000\n');

  it('lists only the timeframes without an active model', () => {
    expect(missingModels(modelsDir, ['5m', '1h', '12h', '1d'])).toEqual(['1h', '12h', '1d']);
  });

  it('no ACTIVE → the timeframe is missing, never the newest version directory (#18 item 4)', () => {
    expect(activeVersionDir(modelsDir, '12h')).toBeNull();
    expect(activeVersionDir(modelsDir, '5m')).toBe(join(modelsDir, '5m', '20240101-000000'));
  });

  it('builds a command a shell reads back', () => {
    expect(
      trainCommand({
        timeframes: ['1h', '1d'],
        symbols: ['BTC/USDT', 'ETH/USDT'],
        to: '2021-01-01',
        configFiles: ['my config.yaml'],
      }),
    ).toBe(
      "quantgate train --timeframes 1h,1d --symbols BTC/USDT,ETH/USDT --to 2021-01-01 --config 'my config.yaml'",
    );
  });

  it('backtest: MODEL_MISSING names the missing timeframes and the train command ending at --from', () => {
    const config = loadConfigSources({ env: {}, cli: [] });
    const cfg = { ...config, data: { ...config.data, modelsDir } };
    const e = withTrainHint(
      new QuantgateError('MODEL_MISSING', 'no model for timeframe(s) 1h, 12h, 1d'),
      cfg,
      { symbols: 'BTC/USDT', from: '2021-03-01', to: '2021-04-01', config: ['a.yaml'], modelsDir },
    ) as QuantgateError;
    expect(e.code).toBe('MODEL_MISSING');
    expect(e.message).toContain(`no trained model for 1h, 12h, 1d in ${modelsDir}`);
    expect(e.message).toContain(
      `quantgate train --timeframes 1h,12h,1d --symbols BTC/USDT --to 2021-03-01 --config a.yaml --models-dir ${modelsDir}`,
    );
    expect(e.message).toContain('--walk-forward');
    // Walk-forward and other errors pass unchanged.
    const other = new QuantgateError('DATA_MISSING', 'x');
    expect(withTrainHint(other, cfg, { from: '2021-03-01' })).toBe(other);
  });
});

describe("train activates only a timeframe's first model (#18 item 4)", () => {
  const modelsDir = join(dir, 'act-models');
  /** A saved version as trainModel leaves it (the fields activation reads). */
  function trained(version: string): TrainModelResult {
    const modelDir = join(modelsDir, '1h', version);
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(join(modelDir, 'manifest.json'), '{}');
    return { modelDir, version, timeframe: '1h' } as TrainModelResult;
  }

  it('train twice: the first is active, the second a candidate with the exact promote command', () => {
    const first = trained('20240101T000000Z-aaaaaaaa');
    const a1 = activation(modelsDir, first, []);
    expect(a1).toEqual({ active: true, promote: null });
    expect(activeVersionDir(modelsDir, '1h')).toBe(first.modelDir);
    expect(activationText(first, a1)).toContain('is active');

    const second = trained('20240102T000000Z-bbbbbbbb');
    const a2 = activation(modelsDir, second, ['my config.yaml']);
    expect(a2.active).toBe(false);
    expect(a2.promote).toBe(
      "quantgate models promote 20240102T000000Z-bbbbbbbb -t 1h --config 'my config.yaml'",
    );
    expect(activationText(second, a2)).toContain(a2.promote!);
    // Still the first: the newer directory does not take over.
    expect(activeVersionDir(modelsDir, '1h')).toBe(first.modelDir);
  });

  it('a model saved with --out outside the store is never activated', () => {
    const other = join(dir, 'act-other');
    const r = { modelDir: join(dir, 'elsewhere'), version: 'v9', timeframe: '5m' } as TrainModelResult;
    expect(activation(other, r, [])).toEqual({ active: false, promote: null });
    expect(activeVersionDir(other, '5m')).toBeNull();
  });
});
