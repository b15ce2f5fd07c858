import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startLive } from '../../../src/app/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { SecretRedactor, createLogger } from '../../../src/core/index.ts';
import { RollingQuantileForecaster } from '../../../src/models/index.ts';
import { simUrls, startSimExchange } from '../../../src/simulator/index.ts';
import { installBinanceOrders } from '../../../src/simulator/orders-binance.ts';
import { stepCandles, storeSeries, waitSubscribed } from '../../runtime/harness.ts';
import { RecordingForecaster } from '../../support/trained-models.ts';
import { FIXTURE_STORE } from './data-groups.ts';
import type { ProbeGroup } from './probe.ts';
import { probeDir } from './run-groups.ts';

const TOKEN = 'key-effects-control-token-0123456789';
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];

/** Status events the control API pushes over `ms` (its heartbeat every control.refreshSeconds). */
async function pushesDuring(url: string, ms: number): Promise<number> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: ac.signal,
  });
  let events = 0;
  const reader = res.body!.getReader();
  const stop = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      events += (new TextDecoder().decode(value).match(/^data:/gm) ?? []).length;
    }
  } catch {
    // aborted: the window is over
  }
  clearTimeout(stop);
  return events;
}

/** Status of a request whose Host header names another machine (a DNS-rebinding page would send one). */
async function foreignHostStatus(url: string): Promise<number> {
  const u = new URL(url);
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: '/api/status',
        headers: { host: 'evil.example', authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(-1));
    req.end();
  });
}

/**
 * The live bot (startLive with real orders against the local exchange: ccxt, candle stream,
 * runtime, the quantgate strategy on the rolling-quantile baseline model, control API) on three
 * fixture 5m series for 13 candles. Observed: the control API (listening where, refusing foreign
 * hosts, status pushes over a quiet 3 s), status and decision-summary log lines, the starting cash from
 * the exchange balance, the 5m model's batches, the directories written.
 */
async function liveRun(c: Config): Promise<unknown> {
  const dir = probeDir('live');
  const series = storeSeries(FIXTURE_STORE, SYMBOLS, ['5m']).map((s) => ({
    ...s,
    candles: s.candles.slice(0, 1200),
  }));
  const sim = await startSimExchange({ series, startTime: series[0].candles[700].timestamp });
  installBinanceOrders(sim, { balances: { USDT: 10_000, USDC: 2_500 }, feeRate: 0.001 });
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    format: 'json',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const model = new RecordingForecaster(
    new RollingQuantileForecaster({ timeframe: '5m', horizon: 12, lookback: 50 }),
  );
  const config: Config = {
    ...c,
    data: { ...c.data, stateDir: join(dir, basename(c.data.stateDir)), modelsDir: join(dir, 'models') },
  };
  const handle = await startLive(config, {
    live: true,
    credentials: { apiKey: 'key-effects-key', secret: 'key-effects-secret' },
    logger,
    redactor: new SecretRedactor([]),
    clock: sim.clock,
    urls: simUrls(sim, 'binance'),
    models: { '5m': model },
    retrain: false,
    stream: { checkIntervalMs: 20 },
    controlToken: TOKEN,
  });
  try {
    await waitSubscribed(sim, SYMBOLS.length, 60_000);
    const startingCash = handle.runtime.status().cash;
    const control = handle.control;
    await stepCandles(sim, handle, 13);
    // Quiet now (no candles): only the heartbeat pushes.
    const pushes = control ? pushesDuring(control.url, 3_000) : Promise.resolve(null);
    return {
      control: control
        ? {
            host: new URL(control.url).hostname,
            onConfiguredPort: control.port === c.control.port,
            foreignHost: await foreignHostStatus(control.url),
            // The first event on connect, then one per heartbeat: >= 3 in 3 s only with a short refresh.
            pushes: Math.min(3, (await pushes) ?? 0) >= 3,
          }
        : null,
      statusLines: Math.min(1, lines.filter((l) => l.msg === 'status').length),
      summaryLines: lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('decisions since'))
        .length,
      startingCash,
      batches: model.calls,
      dirs: readdirSync(dir).sort(),
    };
  } finally {
    await handle.stop();
    await sim.close();
  }
}

export const liveGroup: ProbeGroup = {
  base: {
    exchange: { name: 'binance', symbols: SYMBOLS, warmupCandles: 30 },
    strategy: { timeframes: ['5m'], fusion: { trend: 'off' } },
    paper: { quoteCurrency: 'USDT' },
    data: { stateDir: 'state' },
    logging: { statusIntervalSeconds: 0, decisionSummaryMinutes: 60 },
    control: { enabled: true, port: 0, refreshSeconds: 5 },
  },
  // Each run owns its local exchange and directories: side by side (most of a run is waiting).
  observe: (configs) => Promise.all(configs.map(liveRun)),
};
