import { beforeAll, describe, expect, it } from 'vitest';
import {
  metricsMarkdown,
  priceChartData,
  renderReportHtml,
  resultJson,
  TRADE_CSV_COLUMNS,
  tradeReview,
  tradesCsv,
} from '../../src/backtest/index.ts';
import type { FillRecord, TradeRow } from '../../src/backtest/index.ts';
import type { Signal } from '../../src/core/index.ts';
import { backtestRequest } from '../../src/cli/commands/backtest.ts';
import { parseConfig } from '../../src/config/index.ts';
import { ruleBacktest } from './support/rule-backtest.ts';
import type { RuleBacktest } from './support/rule-backtest.ts';

const M5 = 300_000;

interface Expected {
  symbol: string;
  entryTime: string;
  exitTime: string;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  fees: number;
  pnl: number;
  return: number;
  exitReason: string;
  durationMinutes: number;
  riskReward: number;
  confidence: number;
}

/**
 * The trade list recomputed from nothing but the broker fills and the emitted signals: each buy
 * fill opens, the next sell fill of that symbol closes. A paper market order decided on the candle
 * with open time s fills at the open of the next candle, whose close (the fill's timestamp) is
 * s + 2 × 5 min: that is how the opening signal of a fill is found.
 */
function recompute(fills: readonly FillRecord[], signals: readonly Signal[]): Expected[] {
  const open = new Map<string, FillRecord>();
  const out: Expected[] = [];
  for (const f of fills) {
    if (f.side === 'buy') {
      open.set(f.symbol, f);
      continue;
    }
    const b = open.get(f.symbol)!;
    open.delete(f.symbol);
    const sig = signals.find(
      (s) => s.symbol === b.symbol && s.action === 'open' && s.timestamp === b.timestamp - 2 * M5,
    )!;
    const fees = b.fee + f.fee;
    const pnl = (f.price - b.price) * f.quantity - fees;
    out.push({
      symbol: f.symbol,
      entryTime: new Date(b.timestamp).toISOString(),
      exitTime: new Date(f.timestamp).toISOString(),
      entryPrice: b.price,
      exitPrice: f.price,
      quantity: f.quantity,
      fees,
      pnl,
      return: pnl / (b.price * b.quantity),
      exitReason: f.reason,
      durationMinutes: (f.timestamp - b.timestamp) / 60_000,
      riskReward: sig.riskReward,
      confidence: sig.confidence,
    });
  }
  return out;
}

/** A small RFC 4180 reader (quotes, doubled quotes) for the round trip. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') {
      row.push(cell);
      cell = '';
      if (ch === '\n') {
        rows.push(row);
        row = [];
      }
    } else cell += ch;
  }
  return rows;
}

function fromCsv(header: readonly string[], cells: readonly string[], like: TradeRow): TradeRow {
  const o: Record<string, unknown> = {};
  header.forEach((h, i) => {
    const sample = like[h as keyof TradeRow];
    const v = cells[i];
    o[h] =
      v === ''
        ? null
        : typeof sample === 'number' || sample === null
          ? Number(v)
          : typeof sample === 'boolean'
            ? v === 'true'
            : v;
  });
  return o as unknown as TradeRow;
}

describe('trade review from a real short backtest (fixture candles → Runtime → paper fills)', () => {
  let many: RuleBacktest;
  let one: RuleBacktest;
  let none: RuleBacktest;
  beforeAll(async () => {
    many = await ruleBacktest('many', { withEdge: true });
    one = await ruleBacktest('one');
    none = await ruleBacktest('none');
  }, 60_000);

  it('lists every round trip exactly as the fills recompute it', () => {
    const review = tradeReview(many.result);
    const expected = recompute(many.fills, many.result.signals);
    expect(expected.length).toBeGreaterThan(50);
    expect(review.trades.length).toBe(expected.length);
    const sorted = <T extends { symbol: string; entryTime: string }>(xs: readonly T[]): T[] =>
      [...xs].sort((a, b) => a.entryTime.localeCompare(b.entryTime) || a.symbol.localeCompare(b.symbol));
    const got = sorted(review.trades);
    sorted(expected).forEach((e, i) => {
      const g = got[i];
      expect([g.symbol, g.entryTime, g.exitTime, g.exitReason, g.side]).toEqual([
        e.symbol,
        e.entryTime,
        e.exitTime,
        e.exitReason,
        'long',
      ]);
      for (const k of ['entryPrice', 'exitPrice', 'quantity', 'fees', 'pnl', 'durationMinutes'] as const)
        expect(g[k]).toBeCloseTo(e[k], 9);
      expect(g.return).toBeCloseTo(e.return, 12);
      expect(g.riskReward).toBe(e.riskReward);
      expect(g.confidence).toBe(e.confidence);
    });
    // The signal's optional P(win) and expected edge come through when it carries them.
    expect(got.every((t) => t.pWin !== null && t.expectedEdgeBps !== null)).toBe(true);
    expect(review.byExitReason.map((g) => g.key).sort()).toEqual(
      [...new Set(expected.map((e) => e.exitReason))].sort(),
    );
    expect(review.byExitReason.reduce((a, g) => a + g.trades, 0)).toBe(expected.length);
    expect(review.bySymbol.map((g) => g.key)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(review.byDuration.reduce((a, g) => a + g.trades, 0)).toBe(expected.length);
    const pnl = expected.reduce((a, e) => a + e.pnl, 0);
    expect(review.bySymbol.reduce((a, g) => a + g.pnl, 0)).toBeCloseTo(pnl, 6);
  });

  it('takes the predicted R/R from the opening signal, not the signal at the fill', () => {
    const m = many.result.metrics;
    const expected = recompute(many.fills, many.result.signals);
    const mean = expected.reduce((a, e) => a + e.riskReward, 0) / expected.length;
    expect(m.avgPredictedRiskReward).toBeCloseTo(mean, 12);
    // The rule's R/R changes every candle, so a fill-time read could not give these.
    expect(new Set(expected.map((e) => e.riskReward)).size).toBeGreaterThan(5);
    expect(many.result.trades.every((t) => t.signalTime! + 2 * M5 === t.entryTime)).toBe(true);
  });

  it('round-trips the trade list through --trades CSV (quotes included)', () => {
    const rows = tradeReview(many.result).trades;
    const odd = { ...rows[0], n: rows.length + 1, exitReason: 'manual, "forced"', pWin: null };
    const csv = tradesCsv([...rows, odd]);
    const [header, ...body] = parseCsv(csv);
    expect(header).toEqual([...TRADE_CSV_COLUMNS]);
    expect(body.length).toBe(rows.length + 1);
    const back = body.map((cells) => fromCsv(header, cells, rows[0]));
    expect(back).toEqual([...rows, odd]);
  });

  it('puts the chart markers on the candle each fill happened at (its open), numbered as in the list', () => {
    const t = one.result.trades[0];
    const chart = priceChartData(one.result)[t.symbol];
    const [entry, exit] = chart.markers;
    // The fill's timestamp is the close of the candle whose open it filled at.
    expect(entry.time * 1000).toBe(t.entryTime - M5);
    expect(exit.time * 1000).toBe(t.exitTime - M5);
    expect(entry.text).toBe('#1');
    const bar = chart.bars.find((b) => b[0] === entry.time)!;
    expect(t.entryPrice).toBeCloseTo(bar[1] * 1.0002, 6); // the open, plus 2 bps slippage
  });

  it('refuses a --trades file that is not .csv', () => {
    const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    const base = { from: '2021-01-01', to: '2021-02-01' };
    expect(() => backtestRequest(config, { ...base, trades: 'out.json' })).toThrow(
      '--trades: expected a file name ending in .csv',
    );
    expect(backtestRequest(config, { ...base, trades: 'out.CSV' }).symbols).toEqual(['BTC/USDT']);
  });

  it('flags figures that rest on a single trade', async () => {
    const review = tradeReview(one.result);
    expect(one.result.trades.length).toBe(1);
    const flags = review.smallSample.filter((f) => f.basis === 'trades');
    expect(flags.map((f) => f.metric)).toEqual(expect.arrayContaining(['winRate', 'avgPredictedRiskReward']));
    expect(flags.every((f) => f.count === 1)).toBe(true);
    if (one.result.metrics.sharpe !== null) expect(flags.map((f) => f.metric)).toContain('sharpe');
    expect(metricsMarkdown(one.result)).toMatch(/win rate \| [\d.]+ % ⚠/);
    const html = await renderReportHtml(one.result);
    expect(html).toContain('winRate rests on 1 trade (fewer than 30)');
    // Many trades: no trade-count flag, but a Sharpe over 10 days is still flagged by days.
    const big = tradeReview(many.result).smallSample;
    expect(big.filter((f) => f.basis === 'trades')).toEqual([]);
    expect(big.find((f) => f.metric === 'sharpe')?.basis).toBe('days');
  });

  it('with 0 trades says "no trades" and why, in the table, the report and --json', async () => {
    const review = tradeReview(none.result);
    expect(none.result.trades).toEqual([]);
    expect(review.noTrades?.topReasons.map((x) => x.reason)).toEqual(['no_direction', 'low_confidence']);
    expect(metricsMarkdown(none.result)).toMatch(
      /no trades: top reasons no_direction [\d,]+ · low_confidence/,
    );
    const html = await renderReportHtml(none.result);
    expect(html).toContain('id="no-trades"');
    expect(html).not.toContain('id="trades"');
    expect(html).not.toMatch(/0\.0{4,}%/);
    const json = resultJson(none.result) as { review: { noTrades: unknown; trades: unknown[] } };
    expect(json.review.trades).toEqual([]);
    expect(json.review.noTrades).toEqual(review.noTrades);
  });

  it('lists only removing reasons as removed (trade_opened is an outcome)', async () => {
    const review = tradeReview(many.result);
    expect(review.removed.map((x) => x.reason)).not.toContain('trade_opened');
    expect(review.acted.map((x) => x.reason)).toContain('trade_opened');
    const html = await renderReportHtml(many.result);
    const gate = html.slice(html.indexOf('id="gate"'), html.indexOf('</table>', html.indexOf('id="gate"')));
    expect(gate).not.toContain('trade_opened');
    expect(gate).toContain('runtime:position_open');
  });

  it('puts the same review in --json as in the HTML, with dated axes and an inlined chart', async () => {
    const review = tradeReview(many.result);
    const json = JSON.parse(JSON.stringify(resultJson(many.result, review))) as { review: unknown };
    expect(json.review).toEqual(JSON.parse(JSON.stringify(review)));
    const html = await renderReportHtml(many.result, review);
    expect(html).toContain(`<td>${review.trades[0].n}</td><td>BTC/USDT</td>`);
    expect(html).toContain('id="by-exit"');
    expect(html).toContain('Rolling Sharpe');
    expect(html).toContain('2021-06-1');
    expect(html).not.toMatch(/>\s*12 PM\s*</);
    expect(html).toContain('TradingView Lightweight Charts');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    // Buy-and-hold's drawdown is drawn beside the strategy's.
    expect(review.drawdown.map((s) => s.name)).toEqual(['strategy', 'buy-and-hold', '20-day momentum']);
    expect(review.weeklyReturns[0].points[0].period).toBe('2021-06-07');
  });
});
