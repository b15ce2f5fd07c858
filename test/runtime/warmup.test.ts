import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.ts';
import { SecretRedactor, createLogger } from '../../src/core/index.ts';
import { startLive } from '../../src/app/index.ts';
import { warmupCandlesFor } from '../../src/runtime/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import { QuantileStrategy } from '../../src/strategy/index.ts';
import { SYMBOLS, runtimeSeries } from './harness.ts';

const work = mkdtempSync(join(tmpdir(), 'qg-warmup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('exchange.warmupCandles below what the strategy declares', () => {
  it('is raised to the strategy’s number (pure rule)', () => {
    expect(warmupCandlesFor(500, { '5m': 267, '1h': 300 })).toEqual({
      candles: 500,
      declared: 300,
      raised: false,
    });
    expect(warmupCandlesFor(100, { '5m': 267, '1h': 90 })).toEqual({
      candles: 267,
      declared: 267,
      raised: true,
    });
  });

  it('live fetches what the strategy declares and warns naming both numbers', async () => {
    const series = runtimeSeries();
    const sim = await startSimExchange({ series, startTime: series[0].candles[400].timestamp });
    sim.advance();
    const config = configSchema.parse({
      exchange: {
        name: 'binance',
        symbols: [...SYMBOLS],
        warmupCandles: 20,
        ...{ urls: simUrls(sim, 'binance') },
      },
      data: { dir: join(work, 'data'), modelsDir: join(work, 'models'), stateDir: join(work, 'state') },
      // No daily trend filter: its 20 days of 5m history would exceed the simulator's 400 candles.
      strategy: { timeframes: ['5m'], fusion: { trend: 'off' } },
      logging: { level: 'warn', statusIntervalSeconds: 0 },
    });
    const need = new QuantileStrategy(config).warmup['5m']!;
    expect(need).toBeGreaterThan(20);
    expect(need).toBeLessThan(400);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (s: string) => lines.push(s) } });
    const handle = await startLive(config, {
      live: false,
      logger,
      redactor: new SecretRedactor([]),
      retrain: false,
      clock: sim.clock,
    });
    try {
      // Every series got the strategy's warm-up, not the configured 20.
      expect(handle.stream.stats().warmup).toBe(need * SYMBOLS.length);
      const warn = lines.find((l) => l.includes('exchange.warmupCandles'));
      expect(warn).toBeDefined();
      expect(warn).toContain(`${need}`);
      expect(warn).toContain('20');
    } finally {
      await handle.stop();
      await sim.close();
    }
  }, 120_000);
});
