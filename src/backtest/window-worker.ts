import { isMainThread, parentPort } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { systemClock } from '../core/clock.ts';
import { describeError, isQuantgateError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { trainModel } from '../models/index.ts';
import type { SeriesCache, TrainModelResult } from '../models/index.ts';

/**
 * A long-lived walk-forward training thread: it trains window after window and keeps each
 * series' candles and features between them (SeriesCache), so a 32-window run reads and computes
 * them once per thread instead of once per training. Loaded through the tsx bootstrap.
 */

export interface WindowJob {
  readonly id: number;
  readonly config: Config;
  readonly timeframe: ModelTimeframe;
  readonly outDir: string;
  /** Open time bound: candles opening before this. */
  readonly to: number;
  readonly parentDir: string | null;
}

export type WindowJobReply =
  | { readonly id: number; readonly type: 'done'; readonly result: TrainModelResult }
  | { readonly id: number; readonly type: 'error'; readonly code: string; readonly message: string };

const cache: SeriesCache = new Map();

export async function runWindowJob(j: WindowJob, seriesCache: SeriesCache): Promise<WindowJobReply> {
  const logger = createLogger({ level: j.config.logging.level }).child({
    worker: 'walk-forward',
    timeframe: j.timeframe,
  });
  try {
    const result = await trainModel({
      config: j.config,
      timeframe: j.timeframe,
      symbols: j.config.exchange.symbols,
      exchange: j.config.exchange.name,
      dataDir: j.config.data.dir,
      outDir: j.outDir,
      to: j.to,
      parentDir: j.parentDir,
      seriesCache,
      clock: systemClock,
      logger,
    });
    return { id: j.id, type: 'done', result };
  } catch (e) {
    return {
      id: j.id,
      type: 'error',
      code: isQuantgateError(e) ? e.code : 'INTERNAL',
      message: describeError(e),
    };
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  // One job at a time: the main thread sends the next only after this one's reply.
  port.on('message', (j: WindowJob) => {
    void runWindowJob(j, cache).then((r) => port.postMessage(r));
  });
}
