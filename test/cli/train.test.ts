import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatMetricsTable } from '../../src/cli/commands/evaluate.ts';
import type { ForecastMetrics } from '../../src/models/index.ts';
import { REPO_ROOT, runCli } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
const tmp = mkdtempSync(join(tmpdir(), 'qg-cli-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const configPath = join(tmp, 'config.yaml');
writeFileSync(
  configPath,
  stringify({
    exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
    data: { dir: FIXTURES, modelsDir: join(tmp, 'models') },
    model: TINY_MODEL,
    logging: { level: 'warn' },
  }),
);

describe('quantgate train / evaluate (child process)', () => {
  it('train --json saves a model and evaluate --json measures it', () => {
    const out = join(tmp, 'm1');
    const tr = runCli(
      [
        'train',
        '--timeframe',
        '5m',
        '--symbols',
        'BTC/USDT,ETH/USDT',
        '--config',
        configPath,
        '--out',
        out,
        '--json',
      ],
      {
        timeoutMs: 90_000,
      },
    );
    expect(tr.stderr).not.toMatch(/error/);
    expect(tr.status).toBe(0);
    const r = JSON.parse(tr.stdout) as { modelDir: string; timeframe: string; metrics: { samples: number } };
    expect(r.modelDir).toBe(out);
    expect(r.timeframe).toBe('5m');
    expect(r.metrics.samples).toBeGreaterThan(0);

    const ev = runCli([
      'evaluate',
      '--model',
      out,
      '--symbols',
      'SOL/USDT',
      '--config',
      configPath,
      '--json',
    ]);
    expect(ev.status).toBe(0);
    const m = JSON.parse(ev.stdout) as Record<string, unknown> & {
      samples: number;
      quantiles: Record<string, { exceedance: number }>;
      pinball: { model: number; baseline: number };
    };
    for (const k of [
      'samples',
      'quantiles',
      'bandCoverage',
      'pinball',
      'accuracy',
      'ece',
      'brier',
      'brierSkill',
      'logLoss',
      'pinballByQuantile',
      'coverageByVolatility',
    ])
      expect(m).toHaveProperty(k);
    const terciles = m.coverageByVolatility as Array<{
      samples: number;
      bandCoverage: number;
      exceedance: object;
    }>;
    expect(terciles).toHaveLength(3);
    expect(terciles.reduce((a, t) => a + t.samples, 0)).toBe(m.samples);
    for (const t of terciles) expect(Object.keys(t.exceedance)).toEqual(['0.1', '0.5', '0.9']);
    expect(typeof m.brierSkill).toBe('number');
    expect(Object.keys(m.quantiles)).toEqual(['0.1', '0.5', '0.9']);
    expect(m.quantiles['0.9'].exceedance).toBeGreaterThanOrEqual(0);
    expect(m.quantiles['0.9'].exceedance).toBeLessThanOrEqual(1);
    expect(m.pinball.baseline).toBeGreaterThan(0);
    // Without --json: the same figures as a table.
    expect(formatMetricsTable(m as unknown as ForecastMetrics)).toMatch(
      /P90 exceedance \(y > q90\)\s+\d+\.\d %\s+target 10 %/,
    );
    // Two child processes (train up to 90 s, evaluate up to 60 s): the test may take as long as both.
  }, 180_000);

  it('too little history → exit 3 naming candles needed and present', () => {
    const dir = join(tmp, 'short', 'binance', '5m');
    mkdirSync(dir, { recursive: true });
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 150; i++)
      rows.push(`${1_600_000_000_000 + i * 300_000},100,${101 + (i % 3)},99,${100 + (i % 5) / 10},10`);
    writeFileSync(join(dir, 'BTCUSDT.csv'), `${rows.join('\n')}\n`);
    const r = runCli([
      'train',
      '-t',
      '5m',
      '-s',
      'BTC/USDT',
      '-c',
      configPath,
      '--data-dir',
      join(tmp, 'short'),
      '--json',
    ]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/error \[INSUFFICIENT_HISTORY\]: too little history: need ≥ 400 usable samples/);
    expect(r.stderr).toMatch(/BTC\/USDT: 150/);
    expect(r.stdout).toBe('');
  });

  it('unknown timeframe → exit 2; missing model dir → exit 5', () => {
    const r = runCli(['train', '--timeframe', '7m', '--config', configPath]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /--timeframe: unknown timeframe "7m" \(expected one of 5m, 1h, 12h, 1d; 24h = 1d\)/,
    );
    const e = runCli([
      'evaluate',
      '--model',
      join(tmp, 'no-such-model'),
      '--symbols',
      'SOL/USDT',
      '--config',
      configPath,
    ]);
    expect(e.status).toBe(5);
    expect(e.stderr).toMatch(/error \[MODEL_MISSING\]: model directory .*no-such-model does not exist/);
  });

  it('train twice: the first model becomes active, the second stays a candidate with its promote command (#18 item 4)', () => {
    const root = join(tmp, 'twice');
    const cfg = join(tmp, 'twice.yaml');
    writeFileSync(
      cfg,
      stringify({
        exchange: { name: 'binance', symbols: ['BTC/USDT'] },
        data: { dir: FIXTURES, modelsDir: join(root, 'models'), stateDir: join(root, 'state') },
        model: { ...TINY_MODEL, epochs: 1 },
        logging: { level: 'warn' },
      }),
    );
    const train = (): { version: string; active: boolean; promote: string | null } => {
      const r = runCli(['train', '-t', '1h', '-c', cfg, '--json'], { timeoutMs: 90_000 });
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { version: string; active: boolean; promote: string | null };
    };
    const first = train();
    expect(first).toMatchObject({ active: true, promote: null });
    expect(readFileSync(join(root, 'models', '1h', 'ACTIVE'), 'utf8').trim()).toBe(first.version);
    const r = runCli(['train', '-t', '1h', '-c', cfg], { timeoutMs: 90_000 });
    expect(r.status).toBe(0);
    const second = readdirSync(join(root, 'models', '1h')).filter(
      (d) => d !== 'ACTIVE' && d !== first.version,
    );
    expect(second).toHaveLength(1);
    expect(r.stdout).toContain(`quantgate models promote ${second[0]} -t 1h --config ${cfg}`);
    // ACTIVE still names the first; the registry agrees (the first active, the second a candidate).
    expect(readFileSync(join(root, 'models', '1h', 'ACTIVE'), 'utf8').trim()).toBe(first.version);
    const reg = JSON.parse(readFileSync(join(root, 'state', 'registry.json'), 'utf8')) as {
      versions: { version: string; status: string }[];
    };
    const status = Object.fromEntries(reg.versions.map((v) => [v.version, v.status]));
    expect(status).toEqual({ [first.version]: 'active', [second[0]]: 'candidate' });
  }, 200_000);
});
