import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { ManualClock, SecretRedactor, silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { Candle } from '../../src/core/index.ts';
import { CSV_HEADER, readCandleFile } from '../../src/exchange/index.ts';
import { createAlertSink, createCycleRunner, registryPath, trainInWorker } from '../../src/retrain/index.ts';
import type { AlertInput, AlertSink, CycleOutcome, Trainer, WorkerOutcome } from '../../src/retrain/index.ts';
import { startLive } from '../../src/app/index.ts';
import type { LiveHandle } from '../../src/app/index.ts';
import { simUrls, startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer } from '../../src/simulator/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { TINY_MODEL } from '../support/tiny-model.ts';

/** The live paper bot against the local exchange with the retrain service, for the retrain scenarios. */

export const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const STEMS = ['BTCUSDT', 'ETHUSDT'];
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
const FIVE_MIN = timeframeMs('5m');
/** The live run starts here; the ~36 days of 5m fixture candles before it are the training history. */
export const T0 = Date.UTC(2021, 6, 12);

export function scenarioConfig(root: string, retrain: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    exchange: { name: 'binance', symbols: SYMBOLS, warmupCandles: 300 },
    data: { dir: FIXTURES, modelsDir: join(root, 'models'), stateDir: join(root, 'state') },
    // From scratch: the scenario's broken candidate must be trained on its broken store alone (a
    // warm start would fine-tune the good model on it, a different and milder failure).
    model: { ...TINY_MODEL, warmStart: { enabled: false, replayShare: 0.5, epochs: 3, fullRetrainEvery: 8 } },
    // A 2-candle horizon so the live monitor resolves forecasts within a few simulated candles.
    // Threshold labels: the broken candidates (moves shrunk to a tenth) must still trade on the
    // hold-out to reach the shadow trial and the monitor; with cost-aware triple-barrier labels a
    // world whose moves never pay the fees has no winning class at all (correctly: no trades).
    labels: { horizon: { '5m': 2 }, method: 'threshold' },
    strategy: {
      timeframes: ['5m'],
      executionTimeframe: '5m',
      // Retraining mechanics with one-epoch models, not an edge: the gate is opened wide (any
      // expected edge, fixed-risk sizing) and the trend filter, which needs weeks, is off.
      thresholds: { confidence: 0.04, minRiskReward: 0.8, minEdgeBps: -10_000 },
      fusion: { weights: { '5m': 1 }, trend: 'off' },
      sizing: { method: 'fixed-risk' },
    },
    retrain: {
      cron: '0 0 * * 0',
      holdoutFraction: 0.1,
      timezone: 'Etc/UTC',
      dataQuality: { minCandles: 1000 },
      // Tiny one-epoch models say nothing about markets: the absolute bars are low, the
      // coverage rule (the one a broken calibration fails) is real.
      gate: {
        minSharpeRatio: 0,
        maxDrawdown: 1,
        minWinRate: 0,
        minProfitFactor: 0,
        minSignals: 1,
        coverageTolerance: 0.15,
        maxEce: 0.5,
      },
      rollback: {
        // Only the quantile-exceedance rule, on 40 resolved forecasts (BTC and ETH move together,
        // so a small sample of an honest model can look bad by chance).
        minSamples: 40,
        window: 40,
        minHitRate: 0,
        maxDrawdownSincePromotion: 1,
        exceedancePValue: 1e-4,
        cooldownHours: 24,
      },
      ...retrain,
    },
    logging: { level: 'silent', statusIntervalSeconds: 0 },
  });
}

export function tempRoot(prefix: string): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function fixture5m(stem: string): Candle[] {
  return readCandleFile(join(FIXTURES, 'binance', '5m', `${stem}.csv`)).candles;
}

/**
 * A copy of the 5m store with every move shrunk to `scale` of itself (a feed in the wrong unit):
 * a model trained on it predicts bands far too narrow for the real market.
 */
export function scaledStore(root: string, scale: number): string {
  const dir = join(root, 'scaled');
  mkdirSync(join(dir, 'binance', '5m'), { recursive: true });
  for (const stem of STEMS) {
    const c = fixture5m(stem);
    const base = c[0].close;
    const f = (p: number): number => base * Math.exp(scale * Math.log(p / base));
    const rows = c.map((x) => [x.timestamp, f(x.open), f(x.high), f(x.low), f(x.close), x.volume].join(','));
    writeFileSync(join(dir, 'binance', '5m', `${stem}.csv`), `${CSV_HEADER}\n${rows.join('\n')}\n`);
  }
  return dir;
}

/** What the next training does: a normal one, on a broken store, killed, or its directory corrupted afterwards. */
export type TrainMode =
  { kind: 'normal' } | { kind: 'data'; dataDir: string } | { kind: 'kill' } | { kind: 'corrupt' };

export interface TrainerControl {
  mode: TrainMode;
  readonly calls: TrainMode['kind'][];
  readonly trainer: Trainer;
}

export function trainerControl(): TrainerControl {
  const ctl: TrainerControl = {
    mode: { kind: 'normal' },
    calls: [],
    trainer: (req, limits) => {
      const m = ctl.mode;
      ctl.calls.push(m.kind);
      if (m.kind === 'data') return trainInWorker({ ...req, dataDir: m.dataDir }, limits);
      const h = trainInWorker(req, limits);
      if (m.kind === 'kill') setTimeout(() => void h.terminate(), 300);
      if (m.kind !== 'corrupt') return h;
      const outcome: Promise<WorkerOutcome> = h.outcome.then((o) => {
        // Damage after the worker finished: the promotion's artifact check must catch it.
        if (o.ok) {
          const w = join(o.result.modelDir, 'weights.bin');
          const b = readFileSync(w);
          b[Math.floor(b.length / 2)] ^= 0xff;
          writeFileSync(w, b);
        }
        return o;
      });
      return { outcome, terminate: h.terminate };
    },
  };
  return ctl;
}

export interface CapturingSink extends AlertSink {
  readonly raised: AlertInput[];
}

export function capturingSink(config: Config): CapturingSink {
  const real = createAlertSink({ logger: silentLogger(), registryFile: registryPath(config.data.stateDir) });
  const raised: AlertInput[] = [];
  return {
    raised,
    raise: (a) => {
      raised.push(a);
      real.raise(a);
    },
    flush: () => real.flush(),
  };
}

export interface Bot {
  readonly sim: SimServer;
  handle: LiveHandle;
  readonly outcomes: CycleOutcome[];
  /** (open time, 5m model version) of every candle stepped through, in order. */
  readonly steps: Array<{ t: number; version: string }>;
  step(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function lastClosed(sim: SimServer): number {
  return Math.floor(sim.now / FIVE_MIN) * FIVE_MIN - FIVE_MIN;
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function startBot(
  config: Config,
  o: { alerts: AlertSink; trainer: Trainer; schedule?: boolean },
): Promise<Bot> {
  const sim = await startSimExchange({
    series: SYMBOLS.map((symbol, i) => ({
      exchange: 'binance' as const,
      symbol,
      timeframe: '5m' as const,
      candles: fixture5m(STEMS[i]),
    })),
    startTime: T0,
  });
  sim.advance();
  const outcomes: CycleOutcome[] = [];
  const steps: Array<{ t: number; version: string }> = [];
  const start = (): Promise<LiveHandle> =>
    startLive(config, {
      live: false,
      logger: silentLogger(),
      redactor: new SecretRedactor([]),
      clock: sim.clock,
      urls: simUrls(sim, 'binance'),
      stream: { checkIntervalMs: 20 },
      retrain: {
        alerts: o.alerts,
        // The store is the repository's fixtures: nothing is downloaded into it.
        refresh: false,
        train: o.trainer,
        schedule: o.schedule,
        onOutcome: (x) => outcomes.push(x),
      },
    });
  const started = async (): Promise<LiveHandle> => {
    const h = await start();
    // Candles close on the next candle's update: step only once both streams are subscribed.
    await waitFor(
      () => sim.connections('binance').some((c) => c.subscriptions.size >= SYMBOLS.length),
      20_000,
      () => 'the websocket subscriptions',
    );
    return h;
  };
  const bot: Bot = {
    sim,
    handle: await started(),
    outcomes,
    steps,
    async step() {
      sim.advance();
      const t = lastClosed(sim);
      const lp = () => bot.handle.runtime.snapshot.lastProcessed;
      await waitFor(
        () => SYMBOLS.every((s) => (lp()[`binance|${s}|5m`] ?? -1) >= t),
        30_000,
        () => `candle ${new Date(t).toISOString()} processed (${JSON.stringify(lp())})`,
      );
      await bot.handle.runtime.idle();
      steps.push({ t, version: bot.handle.runtime.status().modelVersions['5m'] });
    },
    async restart() {
      await bot.handle.stop();
      bot.handle = await started();
    },
    async close() {
      await bot.handle.stop();
      await sim.close();
    },
  };
  return bot;
}

/** The first model, through the same cycle (no active model yet: the absolute thresholds only). */
export async function bootstrapVersion(config: Config, alerts: AlertSink, trainer: Trainer): Promise<string> {
  const boot = await createCycleRunner({
    config,
    clock: new ManualClock(T0),
    logger: silentLogger(),
    alerts,
    train: trainer,
  }).run('5m', 'bootstrap');
  if (boot.status !== 'promoted' || boot.previous !== null || boot.active === null)
    throw new Error(`bootstrap cycle did not promote a first model: ${boot.status} (${boot.message})`);
  return boot.active;
}
