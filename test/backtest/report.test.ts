import { describe, expect, it } from 'vitest';
import { priceChartData, renderReportHtml } from '../../src/backtest/index.ts';
import { sampleResult } from './support/result.ts';

describe('HTML report', () => {
  it('is one self-contained file with inline SVG charts, the inlined price chart and the metric tables', async () => {
    const html = await renderReportHtml(sampleResult());
    // equity, drawdown, rolling Sharpe, daily, weekly, monthly, reliability, exceedance
    const page = html.replace(/<script[\s\S]*?<\/script>/g, '');
    expect(page.match(/<svg /g)?.length).toBe(8);
    // Scripts are inline only (lightweight-charts' standalone build and the chart code).
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/(src|href)=["']https?:/i);
    expect(html).toContain('TradingView Lightweight Charts™ v5.3.0');
    expect(html).toContain('Sharpe (daily, √365)');
    expect(html).toContain('buy-and-hold');
    expect(html).toContain('Walk-forward windows');
    expect(html).toContain('<td>58.70 %</td><td>low_confidence 1,200 · trade_opened 4</td>');
    // Per class: mean predicted / observed, then the highest probability given.
    expect(html).toContain('<td>21.00 % / 20.00 %</td><td>58.00 %</td>');
    expect(html).toContain('<code>0123456789abcdef</code>');
    expect(html).toContain('<td>commit</td><td><code>abc123def456</code></td>');
    expect(html).toContain('<td>5m model</td><td><code>v1</code></td>');
    expect(html).toContain('<td>confidence</td><td>120</td>');
    expect(html).toContain('Positions open across a gap are marked at the first candle after it');
    // 6 BTC trades → an entry and an exit marker each, on the candles of the price chart.
    const chart = priceChartData(sampleResult());
    expect(chart['BTC/USDT'].markers.length).toBe(12);
    expect(chart['BTC/USDT'].bars.length).toBe(24 * 60);
  });
});
