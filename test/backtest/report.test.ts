import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/backtest/index.ts';
import { sampleResult } from './support/result.ts';

describe('HTML report', () => {
  it('is one self-contained file with inline SVG charts and the metric tables', async () => {
    const html = await renderReportHtml(sampleResult());
    // equity, drawdown, monthly, 2 × trades on price, reliability, exceedance
    expect(html.match(/<svg /g)?.length).toBe(7);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=["']https?:/i);
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
    expect(html).toMatch(/BTC\/USDT: trades on price \(6 trades\)/);
  });

  it.skipIf(!existsSync('/usr/bin/chromium'))('renders in headless chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qg-report-'));
    try {
      const file = join(dir, 'r.html');
      writeFileSync(file, await renderReportHtml(sampleResult()));
      const png = join(dir, 'r.png');
      const r = spawnSync(
        '/usr/bin/chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${join(dir, 'profile')}`,
          `--screenshot=${png}`,
          '--window-size=1280,1600',
          `file://${file}`,
        ],
        { timeout: 60_000 },
      );
      expect(r.status).toBe(0);
      expect(existsSync(png)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
