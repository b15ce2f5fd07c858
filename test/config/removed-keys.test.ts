import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigSources, parseConfig } from '../../src/config/index.ts';
import { QuantgateError } from '../../src/core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-removed-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof QuantgateError && e.code === 'CONFIG_INVALID') return e.message;
    throw e;
  }
  throw new Error('expected CONFIG_INVALID');
}

const exchange = { name: 'binance', symbols: ['BTC/USDT'] };

// Keys removed because they changed nothing: an old config that still sets one must stop with a
// line that names the key and says it was removed (not a bare "unknown key" the user cannot place).
describe('removed config keys', () => {
  it.each([
    ['exchange.makerFee', { exchange: { ...exchange, makerFee: 0.001 } }, /market \(taker\) orders/],
    ['exchange.bufferCapacity', { exchange: { ...exchange, bufferCapacity: 2000 } }, /no candle ring buffer/],
    ['model.conformalGamma', { exchange, model: { conformalGamma: 0.005 } }, /never applied live/],
    [
      'modelOverrides.1d.conformalGamma',
      { exchange, modelOverrides: { '1d': { conformalGamma: 0.01 } } },
      /never applied live/,
    ],
  ])('%s is refused with a line naming it and why it went', (key, raw, why) => {
    const m = message(() => parseConfig(raw, 'old.yaml'));
    const line = m.split('\n').find((l) => l.includes(`${key}:`));
    expect(line, m).toBeDefined();
    expect(line).toMatch(/removed: /);
    expect(line).toMatch(why);
    expect(line).toMatch(/delete the line/);
  });

  it('from a --config file over the shipped defaults: the file is blamed, other unknown keys stay "unknown key"', () => {
    const file = join(dir, 'old.yaml');
    writeFileSync(file, 'exchange:\n  makerFee: 0.0002\nmodel:\n  conformalGammma: 0.1\n');
    const m = message(() => loadConfigSources({ files: [file], env: {} }));
    expect(m).toContain(`${file}: invalid configuration`);
    expect(m).toMatch(/exchange\.makerFee: removed: .*delete the line/);
    expect(m).toMatch(/model\.conformalGammma: unknown key/);
  });
});
