import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultJson, runProvenance, seriesFingerprint } from '../../src/backtest/index.ts';
import type { Candle } from '../../src/core/types.ts';
import { sampleResult } from './support/result.ts';

const t0 = Date.UTC(2021, 0, 1);
const candles: Candle[] = Array.from({ length: 100 }, (_, i) => ({
  timestamp: t0 + i * 300_000,
  open: 100 + i,
  high: 101 + i,
  low: 99 + i,
  close: 100.5 + i,
  volume: 3 + (i % 7),
}));

describe('backtest provenance', () => {
  it('fingerprints a series by every value: equal series agree, one changed value does not', () => {
    const a = seriesFingerprint('BTC/USDT', '5m', candles);
    expect(a).toMatchObject({
      symbol: 'BTC/USDT',
      timeframe: '5m',
      candles: 100,
      first: t0,
      last: t0 + 99 * 300_000,
    });
    expect(a.sha256).toMatch(/^[0-9a-f]{16}$/);
    expect(
      seriesFingerprint(
        'BTC/USDT',
        '5m',
        candles.map((c) => ({ ...c })),
      ).sha256,
    ).toBe(a.sha256);
    const changed = candles.map((c, i) => (i === 57 ? { ...c, volume: c.volume + 1e-9 } : c));
    expect(seriesFingerprint('BTC/USDT', '5m', changed).sha256).not.toBe(a.sha256);
    expect(seriesFingerprint('BTC/USDT', '5m', candles.slice(1)).sha256).not.toBe(a.sha256);
    expect(seriesFingerprint('BTC/USDT', '5m', [])).toMatchObject({ candles: 0, first: null, last: null });
  });

  it('names the package version and hashes the config (a changed setting changes the hash)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const p = runProvenance({ strategy: { thresholds: { confidence: 0.65 } } }, 'my.yaml');
    expect(p.quantgate).toBe(pkg.version);
    expect(p.node).toBe(process.version);
    expect(p.configFile).toBe('my.yaml');
    expect(p.commit === null || /^[0-9a-f]{7,}(-dirty)?/.test(p.commit)).toBe(true);
    expect(runProvenance({ strategy: { thresholds: { confidence: 0.6 } } }, 'my.yaml').configSha256).not.toBe(
      p.configSha256,
    );
  });

  it('is in the --json object with ISO dates', () => {
    const j = resultJson(sampleResult()) as {
      data: Array<{ first: string }>;
      provenance: { commit: string };
    };
    expect(j.data[0].first).toBe(new Date(t0).toISOString());
    expect(j.provenance.commit).toBe('abc123def456');
  });
});
