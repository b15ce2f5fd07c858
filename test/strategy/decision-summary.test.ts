import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { DecisionRecorder, reasonSummary } from '../../src/strategy/decisions.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2021, 0, 1);

function recorder(level: string, summaryEveryMs: number) {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const log = createLogger({
    level,
    format: 'json',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as (typeof lines)[number]) },
  });
  return { lines, rec: new DecisionRecorder(log, { summaryEveryMs }) };
}

describe('decision logging', () => {
  it('at info: no line per candle, one summary per period counting the reasons since the last one', () => {
    const { lines, rec } = recorder('info', HOUR);
    for (let i = 0; i < 12; i++)
      rec.record('BTC/USDT', T0 + i * 300_000, i % 3 === 0 ? 'poor_rr' : 'low_confidence', '');
    rec.record('BTC/USDT', T0 + 12 * 300_000, 'low_confidence', ''); // next hour: closes the first
    rec.record('BTC/USDT', T0 + 13 * 300_000, 'trade_opened', 'long');
    rec.record('BTC/USDT', T0 + 2 * HOUR, 'poor_rr', '');
    const summaries = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('decisions since'));
    expect(summaries).toHaveLength(2);
    expect(summaries[0]).toMatchObject({
      level: 30,
      from: '2021-01-01T00:00:00.000Z',
      to: '2021-01-01T01:00:00.000Z',
      decisions: 12,
      reasons: { low_confidence: 8, poor_rr: 4 },
      msg: 'decisions since 2021-01-01T00:00:00.000Z: low_confidence 8, poor_rr 4',
    });
    expect(summaries[1]).toMatchObject({ decisions: 2, reasons: { low_confidence: 1, trade_opened: 1 } });
    // The only other info line is the trade itself; the per-candle decisions are debug.
    expect(lines.filter((l) => !summaries.includes(l)).map((l) => l.decision)).toEqual(['trade_opened']);
    // The totals are unaffected by the summaries.
    expect(rec.counts()).toMatchObject({ low_confidence: 9, poor_rr: 5, trade_opened: 1 });
  });

  it('at debug every decision is a line; a reclassified decision moves in the summary too', () => {
    const { lines, rec } = recorder('debug', HOUR);
    rec.record('ETH/USDT', T0, 'trade_opened', 'long');
    rec.reclassify('trade_opened', 'max_positions');
    rec.record('ETH/USDT', T0 + HOUR, 'low_confidence', '');
    expect(lines.filter((l) => l.decision !== undefined)).toHaveLength(2);
    const summary = lines.find((l) => l.msg.startsWith('decisions since'));
    expect(summary?.reasons).toEqual({ max_positions: 1 });
  });

  it('summaryEveryMs 0 = no summary', () => {
    const { lines, rec } = recorder('info', 0);
    for (let i = 0; i < 30; i++) rec.record('BTC/USDT', T0 + i * HOUR, 'low_confidence', '');
    rec.flushSummary();
    expect(lines).toHaveLength(0);
  });

  it('reasonSummary lists the counted reasons, most frequent first', () => {
    expect(reasonSummary({ poor_rr: 2, low_confidence: 5, warmup: 0 })).toBe('low_confidence 5, poor_rr 2');
    expect(reasonSummary({})).toBe('none');
  });
});
