import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../src/config/index.ts';
import { horizonFor } from '../../../src/config/index.ts';
import type { Candle } from '../../../src/core/index.ts';
import { readCandles } from '../../../src/exchange/index.ts';
import {
  computeFeatures,
  contextCandlesOf,
  contextPlanFor,
  labelParamsFor,
  labelsFor,
} from '../../../src/features/index.ts';
import { inspectCycleData } from '../../../src/retrain/index.ts';
import { REPO_ROOT } from '../../support/cli.ts';
import { MINIMAL, each } from './probe.ts';
import type { ProbeGroup } from './probe.ts';

export const FIXTURE_STORE = join(REPO_ROOT, 'test/fixtures/candles');

let cached: Candle[] | null = null;
/** 1,000 real 1h BTC/USDT candles from the fixture store. */
export function fixture1h(): Candle[] {
  cached ??= readCandles(FIXTURE_STORE, 'binance', '1h', 'BTC/USDT')!.candles.slice(0, 1000);
  return cached;
}

const r6 = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(6)) : null);

/** The feature builder (computeFeatures) on the fixture candles: names, warm-up, and per column the finite rows and their sum. */
export const featuresGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    // Context series (market reference, higher timeframes) as the training pipeline loads them.
    const plan = contextPlanFor('BTC/USDT', '1h', c.features, c.exchange.symbols);
    const context = contextCandlesOf(
      plan,
      (k) => readCandles(FIXTURE_STORE, 'binance', k.timeframe, k.symbol)?.candles,
      'the fixture store',
    );
    const m = computeFeatures(fixture1h(), '1h', c.features, context);
    // Per column: how many rows are finite and their sum (rows after a gap are NaN while warming up).
    const w = m.names.length;
    const finite = new Array<number>(w).fill(0);
    const sum = new Array<number>(w).fill(0);
    for (let i = 0; i < m.length; i++)
      for (let j = 0; j < w; j++) {
        const x = m.rows[i * w + j];
        if (Number.isFinite(x)) {
          finite[j]++;
          sum[j] += x;
        }
      }
    return { names: m.names, firstValid: m.firstValid, finite, sum: sum.map(r6) };
  }),
};

/** Labels of the 1h model (labelParamsFor → labelsFor) on the fixture candles: class counts and returns. */
export const labelsGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const l = labelsFor(fixture1h(), labelParamsFor(c, '1h'), '1h');
    const counts: Record<string, number> = {};
    for (const k of l.classes) counts[k] = (counts[k] ?? 0) + 1;
    let sum = 0;
    for (const r of l.forwardReturn) if (Number.isFinite(r)) sum += r;
    let thr = 0;
    for (const t of l.threshold) if (Number.isFinite(t)) thr += t;
    return { horizon: horizonFor(c, '1h'), counts, sum: r6(sum), threshold: r6(thr) };
  }),
};

/** A candle store of the probes: fixture 1h BTC/USDT with every 200th candle left out, ETH/USDT with one bad row. */
export const PROBE_STORE = join(tmpdir(), `qg-key-store-${process.pid}`);
function probeStore(): string {
  if (existsSync(PROBE_STORE)) return PROBE_STORE;
  const dir = join(PROBE_STORE, 'binance', '1h');
  mkdirSync(dir, { recursive: true });
  const btc = readFileSync(join(FIXTURE_STORE, 'binance', '1h', 'BTCUSDT.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  writeFileSync(join(dir, 'BTCUSDT.csv'), `${btc.filter((_, i) => i === 0 || i % 200 !== 0).join('\n')}\n`);
  const eth = readFileSync(join(FIXTURE_STORE, 'binance', '1h', 'ETHUSDT.csv'), 'utf8').trimEnd();
  writeFileSync(join(dir, 'ETHUSDT.csv'), `${eth}\n1626555600000,not,a,number,row,1\n`);
  return PROBE_STORE;
}
export function removeProbeStore(): void {
  rmSync(PROBE_STORE, { recursive: true, force: true });
}

/** Two hours after the last fixture 1h candle opened. */
const NOW = Date.UTC(2021, 6, 17, 22);

/**
 * The retrain cycle's data step (inspectCycleData, as the cycle's worker runs it) on the probe
 * store: the quality report and the hold-out, or the error that stops the cycle.
 */
export const cycleDataGroup: ProbeGroup = {
  base: { ...MINIMAL, data: { dir: PROBE_STORE } },
  observe: each((c: Config) => {
    probeStore();
    try {
      const d = inspectCycleData({
        dataDir: c.data.dir,
        exchange: c.exchange.name,
        timeframe: '1h',
        symbols: c.exchange.symbols,
        skipBadRows: c.data.skipBadRows,
        format: c.data.format,
        now: NOW,
        dataQuality: c.retrain.dataQuality,
        holdoutFraction: c.retrain.holdoutFraction,
      });
      return { problems: d.quality.problems, series: d.quality.series, holdout: d.holdout };
    } catch (e) {
      return { error: e instanceof Error ? e.message.replace(PROBE_STORE, '<store>') : String(e) };
    }
  }),
};
