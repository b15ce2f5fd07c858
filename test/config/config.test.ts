import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, modelConfigFor, parseConfig } from '../../src/config/index.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): QuantgateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QuantgateError) return e;
    throw e;
  }
  throw new Error('expected a QuantgateError');
}

const base = 'exchange:\n  name: binance\n  symbols: [BTC/USDT]\n';

describe('config loading', () => {
  it('loads the shipped default config with every default filled in', () => {
    const c = loadConfig('config/default.yaml');
    expect(c.exchange.name).toBe('binance');
    expect(c.strategy.thresholds.confidence).toBe(0.5);
    expect(c.strategy.thresholds.minRiskReward).toBe(0);
    expect(c.strategy.thresholds.minEdgeBps).toBe(10);
    expect(c.labels.method).toBe('triple-barrier');
    expect(c.labels.k).toBe(1.5);
    expect(c.retrain.cron).toBe('0 0 * * 0');
  });

  it('a minimal config gets defaults', () => {
    const c = loadConfig(writeConfig('min.yaml', base));
    expect(c.model.window).toBe(60);
    expect(c.paper.startingBalance).toBe(10_000);
  });

  it('model overrides change only the keys they name', () => {
    const c = loadConfig(
      writeConfig('ov.yaml', `${base}model: { hidden: 16 }\nmodelOverrides: { 1d: { window: 20 } }\n`),
    );
    expect(modelConfigFor(c, '1d')).toMatchObject({ window: 20, hidden: 16 });
    expect(modelConfigFor(c, '5m')).toMatchObject({ window: 60, hidden: 16 });
  });

  it('accepts 24h as the 1d timeframe', () => {
    const c = loadConfig(writeConfig('tf.yaml', `${base}strategy: { timeframes: [5m, 24h] }\n`));
    expect(c.strategy.timeframes).toEqual(['5m', '1d']);
  });

  const bad: Array<[string, string, string]> = [
    [
      'wrong type',
      `${base}strategy:\n  thresholds:\n    confidence: high\n`,
      'strategy.thresholds.confidence: expected number between 0 and 1, got "high"',
    ],
    [
      'out of range',
      `${base}strategy:\n  thresholds:\n    confidence: 1.5\n`,
      'strategy.thresholds.confidence: expected number between 0 and 1, got 1.5',
    ],
    ['unknown key', `${base}strategy:\n  thresholdz: {}\n`, 'strategy.thresholdz: unknown key'],
    [
      'unknown timeframe',
      `${base}strategy:\n  timeframes: [5m, 3m]\n`,
      'strategy.timeframes.1: unknown timeframe "3m"',
    ],
    [
      'unknown exchange',
      'exchange:\n  name: kraken\n  symbols: [BTC/USDT]\n',
      'exchange.name: expected one of binance, hyperliquid, got "kraken"',
    ],
    [
      'bad symbol',
      'exchange:\n  name: binance\n  symbols: [btcusdt]\n',
      'exchange.symbols.0: expected a symbol like "BTC/USDT"',
    ],
    ['missing section', 'logging:\n  level: info\n', 'exchange: missing required key'],
    [
      'integer expected',
      `${base}model:\n  window: 10.5\n`,
      'model.window: expected integer between 4 and 512, got 10.5',
    ],
  ];
  for (const [name, text, expected] of bad) {
    it(`rejects ${name} with a message naming the file and key path`, () => {
      const file = writeConfig(`${name.replace(/ /g, '-')}.yaml`, text);
      const e = errorOf(() => loadConfig(file));
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(file);
      expect(e.message).toContain(expected);
    });
  }

  it('rejects malformed YAML with file, line and column', () => {
    const file = writeConfig('malformed.yaml', `${base}strategy:\n  thresholds: [1, 2\n`);
    const e = errorOf(() => loadConfig(file));
    expect(e.message).toMatch(/malformed\.yaml: malformed YAML at line \d+, column \d+/);
  });

  it('rejects duplicate keys', () => {
    const file = writeConfig('dup.yaml', `${base}logging: { level: info }\nlogging: { level: warn }\n`);
    expect(errorOf(() => loadConfig(file)).message).toContain('malformed YAML');
  });

  it('names a missing file', () => {
    const e = errorOf(() => loadConfig(join(dir, 'nope.yaml')));
    expect(e.message).toContain('nope.yaml: cannot read config file (ENOENT)');
  });

  it('reports every problem at once', () => {
    const e = errorOf(() => parseConfig({ exchange: { name: 'x', symbols: [] }, foo: 1 }, 'inline'));
    const issues = e.details.issues as string[];
    expect(issues.length).toBeGreaterThanOrEqual(3);
  });
});

describe('quantgate config check (CLI)', () => {
  it('exits 2 with one clean message and no stack trace on a bad config', () => {
    const file = writeConfig('cli-bad.yaml', `${base}strategy:\n  thresholds:\n    confidence: high\n`);
    const r = runCli(['config', 'check', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('strategy.thresholds.confidence: expected number between 0 and 1, got "high"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('prints the resolved config for a good file', () => {
    const r = runCli(['config', 'check', '--config', 'config/default.yaml']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).exchange.name).toBe('binance');
  });

  it('exits 2 on an unknown option', () => {
    const r = runCli(['config', 'check', '--nope']);
    expect(r.status).toBe(2);
  });
});
