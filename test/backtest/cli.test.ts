import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { backtestRequest } from '../../src/cli/commands/backtest.ts';
import { parseConfig } from '../../src/config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-bt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSeries(symbolStem: string, n: number): void {
  const d = join(dir, 'binance', '5m');
  mkdirSync(d, { recursive: true });
  const t0 = Date.UTC(2021, 0, 1);
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) rows.push(`${t0 + i * 300_000},100,101,99,100.5,1`);
  writeFileSync(join(d, `${symbolStem}.csv`), `${rows.join('\n')}\n`);
}
writeSeries('BTCUSDT', 50);

describe('quantgate backtest / lookahead-analysis: bad inputs', () => {
  it('rejects a malformed date with a usage error (exit 2)', () => {
    const r = runCli(['backtest', '--symbols', 'BTC/USDT', '--from', '2021-13-01', '--to', '2021-02-01']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--from: expected a UTC date like 2021-03-01');
  });
  it('refuses a --trades file that is not .csv before any work (exit 2)', () => {
    const args = [
      'backtest',
      '--data-dir',
      dir,
      '--symbols',
      'BTC/USDT',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
    ];
    const r = runCli([...args, '--trades', join(dir, 'trades.xlsx')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--trades: expected a file name ending in .csv');
  });
  it('names a symbol that is not in the store (exit 3)', () => {
    const r = runCli([
      'backtest',
      '--data-dir',
      dir,
      '--symbols',
      'DOGE/USDT',
      '--from',
      '2021-01-01',
      '--to',
      '2021-01-02',
    ]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('symbol DOGE/USDT is not in the candle store');
  });
});

describe('backtestRequest (command-line validation, in process)', () => {
  const config = parseConfig({ exchange: { name: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] } });
  it('fills defaults from the config', () => {
    const r = backtestRequest(config, { from: '2021-01-01', to: '2021-02-01T12:00' });
    expect(r.symbols).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(r.from).toBe(Date.UTC(2021, 0, 1));
    expect(r.to).toBe(Date.UTC(2021, 1, 1, 12));
    expect(r.startingBalance).toBe(10_000);
    expect(r.slippage).toBeCloseTo(0.0002, 12);
    expect(r.walkForward).toBe(false);
  });
  it('rejects missing / reversed dates and a non-html report', () => {
    expect(() => backtestRequest(config, { to: '2021-01-01' })).toThrow('--from: required');
    expect(() => backtestRequest(config, { from: '2021-02-01', to: '2021-01-01' })).toThrow(
      'must be before --to',
    );
    expect(() => backtestRequest(config, { from: '2021-01-01', to: '2021-02-01', report: 'x.pdf' })).toThrow(
      '--report: expected a file name ending in .html',
    );
    expect(() => backtestRequest(config, { from: 'yesterday', to: '2021-02-01' })).toThrow(
      '--from: expected a UTC date',
    );
  });
});
