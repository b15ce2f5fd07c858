import { QuantgateError } from '../core/errors.ts';
import type { CycleData, CycleDataRequest } from './cycle-data.ts';
import type { InspectMessage } from './inspect-worker.ts';
import { startTsWorker } from '../core/ts-worker.ts';

export interface InspectLimits {
  readonly memoryMb: number;
  readonly timeoutMs: number;
}

/**
 * A cycle's data step (read, validate and check every symbol's candles) in a worker thread: on
 * the trading thread it stalled the event loop for up to 0.7 s per cycle (bench/retrain.bench.ts).
 * Rejects with the step's own error (file, line, what was wrong) or with a crash or timeout.
 */
export function inspectInWorker(req: CycleDataRequest, limits: InspectLimits): Promise<CycleData> {
  const worker = startTsWorker(new URL('./inspect-worker.ts', import.meta.url), req, limits.memoryMb);
  return new Promise<CycleData>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
      void worker.terminate();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new QuantgateError(
              'INTERNAL',
              `reading the ${req.timeframe} candles exceeded retrain.worker.timeoutMinutes (${limits.timeoutMs / 60_000} min)`,
            ),
          ),
        ),
      limits.timeoutMs,
    );
    worker.on('message', (m: InspectMessage) =>
      settle(() => (m.type === 'done' ? resolve(m.data) : reject(new QuantgateError(m.code, m.message)))),
    );
    worker.on('error', (e: Error) =>
      settle(() =>
        reject(
          new QuantgateError('INTERNAL', `the ${req.timeframe} data-check worker crashed: ${e.message}`),
        ),
      ),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          new QuantgateError(
            'INTERNAL',
            `the ${req.timeframe} data-check worker exited (code ${code}) before reporting`,
          ),
        ),
      ),
    );
  });
}
