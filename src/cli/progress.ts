import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { stderrOutput } from '../core/logger.ts';
import type { LogOutput } from '../core/logger.ts';

export interface Bars {
  /** Adds a bar; from the first one on, log lines are printed above the bars. */
  create(total: number, value: number, payload?: Record<string, unknown>): cliProgress.SingleBar;
  /** Prints the lines still buffered, stops drawing and gives the log output back. Idempotent. */
  stop(): void;
}

/**
 * A cli-progress display on stderr that owns the log output while it is drawn: each log line is
 * handed to the bar, which prints it above itself on the next redraw, so lines never cut through
 * the bar and the bar is never scrolled away by them.
 */
export function createBars(
  format: string,
  output: LogOutput = stderrOutput,
  stream: NodeJS.WritableStream = process.stderr,
): Bars {
  // Required when a bar is first drawn, not when the program starts (`--help` stays light).
  const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
  const multi = new bars.MultiBar(
    { stream, format, hideCursor: true, clearOnComplete: false },
    bars.Presets.shades_classic,
  );
  let drawing = false;
  let stopped = false;
  return {
    create: (total, value, payload) => {
      const bar = multi.create(total, value, payload);
      if (!drawing) output.divert((s) => multi.log(s.endsWith('\n') ? s : `${s}\n`));
      drawing = true;
      return bar;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (drawing) multi.update(); // flushes the buffered log lines above the final bars
      multi.stop();
      output.divert(null);
    },
  };
}

/** `1h05m`, `4m10s`, `12s`: an ETA short enough for a progress line. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
