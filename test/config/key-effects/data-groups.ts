import { join } from 'node:path';
import type { Config } from '../../../src/config/index.ts';
import { horizonFor } from '../../../src/config/index.ts';
import type { Candle } from '../../../src/core/index.ts';
import { readCandles } from '../../../src/exchange/index.ts';
import { computeFeatures, labelParamsFor, labelsFor } from '../../../src/features/index.ts';
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

/** The feature builder (computeFeatures) on the fixture candles: names, warm-up and the last rows. */
export const featuresGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const m = computeFeatures(fixture1h(), '1h', c.features);
    const w = m.names.length;
    const tail = Array.from(m.rows.subarray((m.length - 3) * w)).map(r6);
    return { names: m.names, firstValid: m.firstValid, tail };
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
