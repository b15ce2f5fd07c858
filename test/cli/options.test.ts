import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backtestRequest } from '../../src/cli/commands/backtest.ts';
import { downloadRequest } from '../../src/cli/commands/download.ts';
import { parseDateOption, parseIntOption, parseSymbolsOption } from '../../src/cli/options.ts';
import { REPORT_OUTPUT, WINDOWS_OUTPUT, checkOutputFile } from '../../src/cli/outputs.ts';
import { parseConfig } from '../../src/config/index.ts';
import { parseUtcDate } from '../../src/core/dates.ts';
import { QuantgateError } from '../../src/core/errors.ts';
import { symbolToFileStem } from '../../src/core/types.ts';
import { candlePath } from '../../src/exchange/csv-store.ts';
import { runCli } from '../support/cli.ts';
import { runCliInProcess } from '../support/cli-inprocess.ts';

const tmp = mkdtempSync(join(tmpdir(), 'qg-cli-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    expect((e as QuantgateError).code).toBe('USAGE');
    expect((e as QuantgateError).exitCode).toBe(2);
    return (e as QuantgateError).message;
  }
  throw new Error('expected a usage error');
}

describe('one symbol validator; store paths stay inside the store (#18 item 5)', () => {
  const TRAVERSAL = 'A/B/../../../../../trav/evil';
  it('refuses traversal, lower case, spaces and empty parts; accepts spot and perpetual symbols', () => {
    expect(parseSymbolsOption('BTC/USDT, ETH/USDT,BTC/USDC:USDC')).toEqual([
      'BTC/USDT',
      'ETH/USDT',
      'BTC/USDC:USDC',
    ]);
    expect(parseSymbolsOption(undefined)).toBeUndefined();
    for (const bad of [
      TRAVERSAL,
      'btc/usdt',
      'BTC USDT',
      'BTC/',
      '/USDT',
      'BTC/USDT/X',
      'BTC\\USDT',
      '../BTC/USDT',
      ',',
    ])
      expect(usage(() => parseSymbolsOption(bad))).toMatch(/^--symbols: /);
  });
  it('symbolToFileStem and candlePath never produce a path outside the data directory', () => {
    expect(symbolToFileStem('BTC/USDC:USDC')).toBe('BTCUSDC_USDC');
    expect(() => symbolToFileStem(TRAVERSAL)).toThrow(QuantgateError);
    expect(() => candlePath('/data', 'binance', '5m', TRAVERSAL)).toThrow(QuantgateError);
    expect(candlePath('/data', 'binance', '5m', 'BTC/USDT')).toBe('/data/binance/5m/BTCUSDT.csv');
  });
  it('backtest and download use the same rule', () => {
    const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    expect(
      usage(() => backtestRequest(config, { symbols: TRAVERSAL, from: '2021-01-01', to: '2021-02-01' })),
    ).toMatch(/^--symbols/);
    expect(
      usage(() =>
        downloadRequest(
          { exchange: 'binance', symbols: 'eth/usdt', timeframes: '5m', since: '2021-01-01' },
          undefined,
        ),
      ),
    ).toMatch(/^--symbols/);
  });
});

describe('one date parser (#18 item 10)', () => {
  it('reads dates and times as UTC', () => {
    expect(parseUtcDate('2021-07-11', '--from')).toBe(Date.UTC(2021, 6, 11));
    expect(parseUtcDate('2021-07-11T12:30', '--from')).toBe(Date.UTC(2021, 6, 11, 12, 30));
    expect(parseUtcDate('2021-07-11T12:30:15.5Z', '--from')).toBe(Date.UTC(2021, 6, 11, 12, 30, 15, 500));
    expect(parseUtcDate('2021-07-11T12:30+02:00', '--from')).toBe(Date.UTC(2021, 6, 11, 10, 30));
    expect(parseUtcDate('2024-02-29', '--from')).toBe(Date.UTC(2024, 1, 29));
  });
  it('refuses dates that do not exist instead of rolling them over', () => {
    for (const bad of [
      '2021-06-31',
      '2021-02-29',
      '2021-13-01',
      '2021-00-10',
      '2021-07-11T24:00',
      '2021-07-11T12:60',
    ])
      expect(usage(() => parseUtcDate(bad, '--from'))).toContain('--from');
  });
  it('refuses bare numbers (seconds or milliseconds?) and free text', () => {
    expect(usage(() => parseUtcDate('1625961600', '--from'))).toContain('bare number');
    expect(usage(() => parseUtcDate('1625961600000', '--since'))).toMatch(/^--since: .*a bare number/);
    for (const bad of ['yesterday', '', '2021-7-1', '07/11/2021', 'x'.repeat(5000)])
      expect(usage(() => parseDateOption('--to', bad)).length).toBeLessThan(200);
  });
  it('every command uses it: backtest and download refuse 2021-06-31', () => {
    const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT'] } });
    expect(usage(() => backtestRequest(config, { from: '2021-06-31', to: '2021-08-01' }))).toMatch(/^--from/);
    expect(
      usage(() =>
        downloadRequest(
          { exchange: 'binance', symbols: 'BTC/USDT', timeframes: '5m', since: '1625961600' },
          undefined,
        ),
      ),
    ).toMatch(/^--since/);
  });
});

describe('integer options (#18 item 10)', () => {
  it('accepts whole numbers in range only', () => {
    expect(parseIntOption('--epochs', '3')).toBe(3);
    expect(parseIntOption('--epochs', undefined)).toBeUndefined();
    for (const bad of ['0.5', '0', '-1', '1e3', '', ' ', 'abc', '1.0', '99999999999999999999'])
      expect(usage(() => parseIntOption('--epochs', bad))).toMatch(/^--epochs: expected an integer ≥ 1/);
    expect(usage(() => parseIntOption('--limit', '5001', 1, 5000))).toContain('1…5000');
  });
});

describe('output files never clobber what is not ours (#18 item 6)', () => {
  it('requires the extension', () => {
    expect(usage(() => checkOutputFile(WINDOWS_OUTPUT, join(tmp, 'w.txt')))).toContain('.jsonl');
    expect(usage(() => checkOutputFile(REPORT_OUTPUT, join(tmp, 'r.pdf')))).toContain('.html');
  });
  it('refuses an existing foreign file unless forced; accepts a missing, empty or own file', () => {
    const foreign = join(tmp, 'notes.jsonl');
    writeFileSync(foreign, 'my precious notes\n');
    expect(usage(() => checkOutputFile(WINDOWS_OUTPUT, foreign))).toContain('not written by quantgate');
    expect(checkOutputFile(WINDOWS_OUTPUT, foreign, true)).toBe(foreign);
    const own = join(tmp, 'own.jsonl');
    writeFileSync(own, `${JSON.stringify({ window: 1, of: 3, train: [] })}\n`);
    expect(checkOutputFile(WINDOWS_OUTPUT, own)).toBe(own);
    const empty = join(tmp, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(checkOutputFile(WINDOWS_OUTPUT, empty)).toBe(empty);
    expect(checkOutputFile(WINDOWS_OUTPUT, join(tmp, 'new.jsonl'))).toBe(join(tmp, 'new.jsonl'));
    const html = join(tmp, 'r.html');
    writeFileSync(html, '<html><body>someone else</body></html>');
    expect(usage(() => checkOutputFile(REPORT_OUTPUT, html))).toContain('--report');
    writeFileSync(
      html,
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>quantgate backtest BTC/USDT</title>',
    );
    expect(checkOutputFile(REPORT_OUTPUT, html)).toBe(html);
    const dir = join(tmp, 'd.jsonl');
    mkdirSync(dir);
    expect(usage(() => checkOutputFile(WINDOWS_OUTPUT, dir))).toContain('not a regular file');
  });
});

describe('the real CLI (child processes: a few only)', () => {
  it('train --symbols with a traversal is a usage error naming the option, and reads nothing', () => {
    const r = runCli(['train', '-t', '5m', '--symbols', 'A/B/../../../../../trav/evil', '--data-dir', tmp]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error \[USAGE\]: --symbols: /);
    expect(r.stderr.split('\n').filter((l) => l.length > 0)).toHaveLength(1);
  });
  it('in process: evaluate and lookahead-analysis --symbols likewise; train --epochs 0.5 refused', async () => {
    const ev = await runCliInProcess(['evaluate', '-m', tmp, '--symbols', 'A/B/../../x']);
    expect([ev.status, ev.stderr.startsWith('error [USAGE]: --symbols')]).toEqual([2, true]);
    const la = await runCliInProcess([
      'lookahead-analysis',
      '--symbols',
      'A/B/../../x',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
    ]);
    expect([la.status, la.stderr.startsWith('error [USAGE]: --symbols')]).toEqual([2, true]);
    const tr = await runCliInProcess(['train', '-t', '5m', '--epochs', '0.5']);
    expect(tr.status).toBe(2);
    expect(tr.stderr).toContain('--epochs: expected an integer ≥ 1, got "0.5"');
    const from = await runCliInProcess(['train', '-t', '5m', '--from', '2021-06-31']);
    expect([from.status, from.stderr]).toEqual([
      2,
      expect.stringContaining(
        '--from: expected a UTC date like 2021-03-01 or 2021-03-01T12:00, got "2021-06-31" (not a real date',
      ),
    ]);
  });
  it('backtest --windows over a foreign file refuses and leaves it untouched (without --walk-forward too)', () => {
    const foreign = join(tmp, 'keep.jsonl');
    writeFileSync(foreign, 'do not empty me\n');
    const r = runCli([
      'backtest',
      '--symbols',
      'BTC/USDT',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
      '--windows',
      foreign,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--windows');
    expect(readFileSync(foreign, 'utf8')).toBe('do not empty me\n');
  });
  it('in process: --windows without the extension, --report over a foreign file', async () => {
    const noExt = join(tmp, 'keep');
    writeFileSync(noExt, 'precious');
    const r2 = await runCliInProcess([
      'backtest',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
      '--windows',
      noExt,
    ]);
    expect([r2.status, readFileSync(noExt, 'utf8')]).toEqual([2, 'precious']);
    const page = join(tmp, 'page.html');
    writeFileSync(page, '<html>mine</html>');
    const r3 = await runCliInProcess([
      'backtest',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
      '--report',
      page,
    ]);
    expect([r3.status, r3.stderr.includes('--report'), readFileSync(page, 'utf8')]).toEqual([
      2,
      true,
      '<html>mine</html>',
    ]);
  });
});
