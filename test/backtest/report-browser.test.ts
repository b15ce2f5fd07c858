import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/backtest/index.ts';
import type { BacktestResult } from '../../src/backtest/index.ts';
import { ruleBacktest } from './support/rule-backtest.ts';

/**
 * The report rendered by a real headless Chromium from file://, offline. Skipped only outside CI
 * when no Chromium is installed; under CI=true a missing browser fails the run (`.ci/run`
 * installs Debian's chromium first), so a fresh CI machine always renders the report.
 * QG_REPORT_SHOTS=DIR keeps the screenshots (report-zero.png, report-one.png, report-many.png).
 */
const CHROMIUM = process.env.QG_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const CI = process.env.CI === 'true';
const SHOTS = process.env.QG_REPORT_SHOTS;

describe.skipIf(!HAVE && !CI)('HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  const results: Record<string, BacktestResult> = {};
  beforeAll(async () => {
    if (!HAVE)
      throw new Error(
        `CI=true but no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`,
      );
    dir = mkdtempSync(join(tmpdir(), 'qg-report-browser-'));
    const [zero, one, many] = await Promise.all([
      ruleBacktest('none'),
      ruleBacktest('one'),
      ruleBacktest('many'),
    ]);
    results.zero = zero.result;
    results.one = one.result;
    results.many = many.result;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, trades] of [
    ['zero', 0],
    ['one', 1],
    ['many', -1],
  ] as const)
    it(`renders the ${name}-trade report: chart drawn, no console error, no request off file://`, async () => {
      const r = results[name];
      if (trades >= 0) expect(r.trades.length).toBe(trades);
      else expect(r.trades.length).toBeGreaterThan(100);
      const file = join(dir, `${name}.html`);
      writeFileSync(file, await renderReportHtml(r));
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (q) => {
        if (!q.url().startsWith('file://') && !q.url().startsWith('data:')) requests.push(q.url());
      });
      try {
        await page.goto(`file://${file}`);
        // Set by the chart code once lightweight-charts has drawn the candles and markers.
        await page.locator('body[data-chart="ready"]').waitFor({ state: 'attached', timeout: 30_000 });
        const el = page.locator('#qg-chart');
        const chart = {
          bars: Number(await el.getAttribute('data-bars')),
          markers: Number(await el.getAttribute('data-markers')),
          canvases: await page.locator('#qg-chart canvas').count(),
          width: (await el.boundingBox())?.width ?? 0,
        };
        expect(chart.bars).toBeGreaterThan(1000);
        expect(chart.canvases).toBeGreaterThan(0);
        expect(chart.width).toBeGreaterThan(500);
        const btcTrades = r.trades.filter((t) => t.symbol === r.symbols[0]).length;
        expect(chart.markers).toBe(2 * btcTrades);
        expect(await page.locator('#no-trades').count()).toBe(trades === 0 ? 1 : 0);
        expect(await page.locator('#trades tr').count()).toBe(
          trades === 0 ? 0 : Math.min(r.trades.length, 2000) + 1,
        );
        // A blank canvas compresses to a few hundred bytes; candles and markers do not.
        const chartPng = await page.locator('#qg-chart').screenshot();
        expect(chartPng.length).toBeGreaterThan(15_000);
        const png = await page.screenshot({ fullPage: true });
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
        expect(png.length).toBeGreaterThan(100_000);
        if (SHOTS) writeFileSync(join(SHOTS, `report-${name}.png`), png);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
});
