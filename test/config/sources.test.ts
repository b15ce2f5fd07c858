import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_PATH,
  envLayers,
  loadConfigSources,
  parseConfig,
  valueLayer,
} from '../../src/config/index.ts';
import { printableConfig } from '../../src/cli/commands/config.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { REDACTED, secretValuesFromEnv } from '../../src/core/secrets.ts';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-config-sources-'));
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

const thresholdsOnly = writeConfig('thresholds.yaml', 'strategy:\n  thresholds:\n    confidence: 0.7\n');

describe('config layers: defaults ← files ← environment ← command line', () => {
  it('finds the shipped defaults beside the package, not in the working directory', () => {
    expect(isAbsolute(DEFAULT_CONFIG_PATH)).toBe(true);
    expect(DEFAULT_CONFIG_PATH.endsWith(join('config', 'default.yaml'))).toBe(true);
  });

  it('a file with only strategy.thresholds.confidence merges over the defaults', () => {
    const c = loadConfigSources({ files: [thresholdsOnly], env: {} });
    expect(c.strategy.thresholds.confidence).toBe(0.7);
    // Its sibling and the exchange section come from config/default.yaml.
    expect(c.strategy.thresholds.minRiskReward).toBe(0);
    expect(c.strategy.thresholds.minEdgeBps).toBe(10);
    expect(c.exchange.symbols).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    expect(c.modelOverrides['1d']).toEqual({ window: 30 });
  });

  it('several --config files merge in order; lists are replaced, not concatenated', () => {
    const second = writeConfig(
      'second.yaml',
      'strategy:\n  thresholds:\n    confidence: 0.8\nexchange:\n  symbols: [BTC/USDT]\n',
    );
    const c = loadConfigSources({ files: [thresholdsOnly, second], env: {} });
    expect(c.strategy.thresholds.confidence).toBe(0.8);
    expect(c.exchange.symbols).toEqual(['BTC/USDT']);
    expect(c.exchange.name).toBe('binance');
    const reversed = loadConfigSources({ files: [second, thresholdsOnly], env: {} });
    expect(reversed.strategy.thresholds.confidence).toBe(0.7);
  });

  it('QUANTGATE__* variables override files, with values read as YAML scalars and lists', () => {
    const c = loadConfigSources({
      files: [thresholdsOnly],
      env: {
        QUANTGATE__STRATEGY__THRESHOLDS__CONFIDENCE: '0.6',
        QUANTGATE__STRATEGY__THRESHOLDS__MIN_RISK_REWARD: '1.5',
        QUANTGATE__STRATEGY__SIZING__ALLOWSHORT: 'true',
        QUANTGATE__EXCHANGE__SYMBOLS: '[ETH/USDT, SOL/USDT]',
        QUANTGATE__MODELOVERRIDES__1D__WINDOW: '20',
        QUANTGATE__LOGGING__LEVEL: 'warn',
        // Single underscore: not an override (the exchange secrets use this form).
        QUANTGATE_LOG_LEVEL: 'debug',
      },
    });
    expect(c.strategy.thresholds.confidence).toBe(0.6);
    expect(c.strategy.thresholds.minRiskReward).toBe(1.5);
    expect(c.strategy.sizing.allowShort).toBe(true);
    expect(c.exchange.symbols).toEqual(['ETH/USDT', 'SOL/USDT']);
    expect(c.modelOverrides['1d']).toEqual({ window: 20 });
    expect(c.logging.level).toBe('warn');
  });

  it('a bad environment value is blamed on the variable, not on a file', () => {
    const e = errorOf(() =>
      loadConfigSources({
        files: [thresholdsOnly],
        env: { QUANTGATE__STRATEGY__THRESHOLDS__CONFIDENCE: '1.6' },
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('environment variable QUANTGATE__STRATEGY__THRESHOLDS__CONFIDENCE');
    expect(e.message).toContain('strategy.thresholds.confidence: expected number between 0 and 1, got 1.6');
    expect(e.message).not.toContain(thresholdsOnly);
  });

  it('an unknown key in a variable names the variable', () => {
    const e = errorOf(() => envLayers({ QUANTGATE__STRATEGY__THRESHOLDZ: '1' }));
    expect(e.message).toContain('QUANTGATE__STRATEGY__THRESHOLDZ');
    expect(e.message).toContain('strategy.thresholdz: unknown config key');
  });

  it('a secret cannot be set through an override variable', () => {
    for (const name of [
      'QUANTGATE__ALERTS__WEBHOOK_URL',
      'QUANTGATE__EXCHANGE__API_KEY',
      'QUANTGATE__BINANCE__SECRET',
      'QUANTGATE__EXCHANGE__PRIVATE_KEY',
    ]) {
      const e = errorOf(() => envLayers({ [name]: 'https://hooks.example.invalid/abcdef' }));
      expect(e.message).toContain(name);
      expect(e.message).toContain('credentials cannot be set');
      expect(e.message).toContain('QUANTGATE_BINANCE_KEY');
      expect(e.message).not.toContain('hooks.example.invalid');
    }
  });

  it('the webhook URL, a credential, comes from its own secret variable', () => {
    const c = loadConfigSources({ env: { QUANTGATE_ALERTS_WEBHOOK_URL: 'https://hooks.example.invalid/x' } });
    expect(c.alerts.webhookUrl).toBe('https://hooks.example.invalid/x');
    // Scrubbed from every log line like the exchange keys, and masked by `config check`.
    expect(
      secretValuesFromEnv({ QUANTGATE_ALERTS_WEBHOOK_URL: 'https://hooks.example.invalid/x' }),
    ).toContain('https://hooks.example.invalid/x');
    expect(printableConfig(c).alerts.webhookUrl).toBe(REDACTED);
  });

  it('a bad command-line value is blamed on the option; a bad file value on the file', () => {
    const bad = writeConfig('bad.yaml', 'model:\n  window: 2\n');
    const e = errorOf(() =>
      loadConfigSources({
        files: [bad],
        env: {},
        cli: [valueLayer('--symbols', ['exchange', 'symbols'], ['btcusdt'])],
      }),
    );
    expect(e.message).toContain(`${bad}: model.window: expected integer between 4 and 512, got 2`);
    expect(e.message).toContain('--symbols: exchange.symbols.0: expected a symbol like "BTC/USDT"');
  });

  it('an unknown key in a file is blamed on that file', () => {
    const typo = writeConfig('typo.yaml', 'strategy:\n  thresholdz: {}\n');
    const e = errorOf(() => loadConfigSources({ files: [thresholdsOnly, typo], env: {} }));
    expect(e.message).toBe(`${typo}: invalid configuration\n  strategy.thresholdz: unknown key`);
  });

  it('parseConfig still validates one object on its own (library use)', () => {
    expect(() => parseConfig({ strategy: {} })).toThrow(/exchange: missing required key/);
  });
});

describe('quantgate config check from another directory (CLI)', () => {
  it('merges two partial files and an environment override, defaults found without the cwd', () => {
    const second = writeConfig('second-cli.yaml', 'exchange:\n  symbols: [BTC/USDT]\n');
    const r = runCli(['config', 'check', '-c', thresholdsOnly, '--config', second], {
      cwd: dir,
      env: { QUANTGATE__STRATEGY__THRESHOLDS__MIN_RISK_REWARD: '1.4' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as {
      strategy: { thresholds: { confidence: number; minRiskReward: number; minEdgeBps: number } };
      exchange: { symbols: string[] };
    };
    expect(c.strategy.thresholds).toEqual({ confidence: 0.7, minRiskReward: 1.4, minEdgeBps: 10 });
    expect(c.exchange.symbols).toEqual(['BTC/USDT']);
  });
});
