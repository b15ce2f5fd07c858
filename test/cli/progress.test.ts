import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBars, formatDuration } from '../../src/cli/progress.ts';
import { LogOutput, createLogger } from '../../src/core/logger.ts';

/** A terminal-like stream that records what cli-progress draws. */
function fakeTerminal(): { stream: Writable & { isTTY: boolean; columns: number }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    { isTTY: true, columns: 120 },
  );
  return { stream, text: () => chunks.join('') };
}

describe('progress bars and log lines', () => {
  it('while a bar is drawn, log lines go through it (whole, above the bar), then back to stderr', () => {
    const direct: string[] = [];
    const out = new LogOutput({ write: (s: string) => direct.push(s) });
    const log = createLogger({ format: 'json', destination: out });
    const term = fakeTerminal();
    const bars = createBars('{phase} [{bar}] {value}/{total}', out, term.stream);
    log.info('before the bar');
    const bar = bars.create(10, 0, { phase: 'replay' });
    bar.update(3, { phase: 'replay' });
    log.warn('during the bar');
    bar.update(7, { phase: 'replay' });
    bars.stop();
    log.info('after the bar');
    expect(direct.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'before the bar',
      'after the bar',
    ]);
    const drawn = term.text();
    // The line arrives in one piece, ending in a newline, before the final bar is drawn.
    const line = drawn.split('\n').find((l) => l.includes('during the bar'));
    expect(line).toBeDefined();
    expect((JSON.parse(line!.slice(line!.indexOf('{'))) as { msg: string }).msg).toBe('during the bar');
    expect(drawn.lastIndexOf('during the bar')).toBeLessThan(drawn.lastIndexOf('replay ['));
  });

  it('formats durations for a progress line', () => {
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(250_000)).toBe('4m10s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });
});
