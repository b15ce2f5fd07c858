import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBacktestDeps, runSweep, strategyTarget } from '../../../src/backtest/index.ts';
import type { SweepCombination } from '../../../src/backtest/index.ts';
import { backtestRequest } from '../../../src/cli/commands/backtest.ts';
import { configSchema } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { tinyTradingConfig, trainTinyModels } from '../../support/trained-models.ts';
import type { ProbeGroup } from './probe.ts';

/** Temporary directories of the probes, removed by the test's afterAll. */
const dirs: string[] = [];
export function probeDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `qg-key-${name}-`));
  dirs.push(d);
  return d;
}
export function removeProbeDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

const work = (() => {
  let d: string | null = null;
  return () => (d ??= probeDir('run'));
})();

/**
 * The demo's trading config (tiny MLPs for 5m and 1h, thresholds low enough for them to trade),
 * on BTC/USDT and ETH/USDT. Built lazily: the group's base must exist before the work dir does.
 */
const RUN_BASE_DIR = join(tmpdir(), 'qg-key-run-base');
const base = tinyTradingConfig(RUN_BASE_DIR) as unknown as Record<string, unknown>;
(base.exchange as Record<string, unknown>).symbols = ['BTC/USDT', 'ETH/USDT'];

/**
 * The backtest of two days (2021-07-05 → 07-07) on the fixture candles through the real runtime
 * target (strategy, risk manager, paper broker), every config a combination of one sweep so the
 * models' forecasts are computed once: trades, PnL, fees, Sharpe and the decisions by reason.
 */
export const runGroup: ProbeGroup = {
  base,
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    const w = work();
    // Every config keeps the base's directories; models trained once into the work dir.
    const dirsOf = (c: Config): Config => ({
      ...c,
      data: { ...c.data, modelsDir: join(w, 'models'), stateDir: join(w, 'state') },
    });
    const moved = configs.map(dirsOf);
    await trainTinyModels(dirsOf(configSchema.parse(base)), Date.UTC(2021, 6, 1));
    const logger = silentLogger();
    const combinations: SweepCombination[] = moved.map((config, i) => ({
      label: `#${i}`,
      overrides: {},
      config,
      request: { ...backtestRequest(config, { from: '2021-07-05', to: '2021-07-07' }), skipBaseline: true },
    }));
    const sweep = await runSweep({
      combinations,
      depsFor: (c) => createBacktestDeps(c, logger, strategyTarget),
      blocks: 2,
    });
    return sweep.rows.map((r) => ({ metrics: r.metrics, decisions: r.gate }));
  },
};
