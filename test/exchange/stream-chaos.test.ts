import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle, ClosedCandle, ExchangeId } from '../../src/core/index.ts';
import { silentLogger, timeframeMs } from '../../src/core/index.ts';
import { startSimExchange } from '../../src/simulator/index.ts';
import type { SimServer, SimSeriesInput } from '../../src/simulator/index.ts';
import type { CandleStream } from '../../src/exchange/index.ts';
import { CandleBufferSet, seriesId } from '../../src/exchange/index.ts';
import { START, fixtureSeries, tick, simStream, waitFor } from '../simulator/helpers.ts';

const EXCHANGES: ExchangeId[] = ['binance', 'hyperliquid'];
const STEPS = 400; // 5-minute steps: 6 × 400 + 6 × 33 closed candles
const WARMUP = 30;

interface Run {
  sim: SimServer;
  series: SimSeriesInput[];
  streams: Map<ExchangeId, CandleStream>;
  delivered: Map<string, ClosedCandle[]>;
  buffers: CandleBufferSet;
  faults: {
    disconnects: number;
    effectiveDisconnects: number;
    silences: number;
    malformedDue: ExchangeId[];
    malformedSent: Record<ExchangeId, number>;
  };
}

async function startRun(): Promise<Run> {
  const series = fixtureSeries(EXCHANGES, ['BTC', 'ETH', 'SOL'], ['5m', '1h']);
  const sim = await startSimExchange({ series, startTime: START });
  const logger = silentLogger();
  const delivered = new Map<string, ClosedCandle[]>();
  const buffers = new CandleBufferSet(1000);
  const streams = new Map<ExchangeId, CandleStream>();
  for (const exchange of EXCHANGES) {
    const stream = await simStream(sim, exchange, series, {
      logger: logger,
      warmupCandles: WARMUP,
      keepAliveMs: 100,
    });
    stream.onCandle((c) => {
      const id = seriesId(c);
      const list = delivered.get(id) ?? [];
      list.push(c);
      delivered.set(id, list);
      buffers.append(c);
    });
    streams.set(exchange, stream);
  }
  await Promise.all([...streams.values()].map((s) => s.start()));
  return {
    sim,
    series,
    streams,
    delivered,
    buffers,
    faults: {
      disconnects: 0,
      effectiveDisconnects: 0,
      silences: 0,
      malformedDue: [],
      malformedSent: { binance: 0, hyperliquid: 0 },
    },
  };
}

/** Injects one fault of a rotating kind; half of them cut or stall the connection. */
function injectFault(run: Run, i: number): void {
  const { sim, faults } = run;
  const ex: ExchangeId = (i + Math.floor(i / 10)) % 2 === 0 ? 'binance' : 'hyperliquid';
  switch (i % 10) {
    case 0:
    case 4:
      faults.disconnects++;
      // A drop that finds no open connection (the stream is already reconnecting) forces no reconnect.
      if (sim.dropConnections(ex) > 0) faults.effectiveDisconnects++;
      break;
    case 1:
      sim.duplicate(6, ex);
      break;
    case 2:
      faults.silences++;
      sim.silence(30, ex); // shorter than the keep-alive timeout: frames arrive late, connection lives
      break;
    case 3:
      faults.malformedDue.push(ex); // sent once that exchange is subscribed (it may be reconnecting)
      break;
    case 5:
    case 8:
      faults.silences++;
      sim.silence(350, ex); // longer: pings go unanswered, ccxt drops the connection
      break;
    case 6:
      sim.outOfOrder(6, ex);
      break;
    case 7:
      sim.restErrors(3, i % 4 === 0 ? 429 : 503, ex);
      break;
    case 9:
      faults.disconnects++;
      if (sim.dropConnections() > 0) faults.effectiveDisconnects++;
      break;
  }
}

function expectedClosed(s: SimSeriesInput, now: number): Candle[] {
  const tf = timeframeMs(s.timeframe);
  return s.candles.filter((c) => c.timestamp + tf <= now);
}

describe('CandleStream through real ccxt against the local exchange, with faults', () => {
  let run: Run;

  beforeAll(async () => {
    run = await startRun();
    for (let step = 0; step < STEPS; step++) {
      run.sim.advance();
      if (step % 8 === 4) {
        // Pace faults on the streams, not on this machine's speed: each fault hits live, subscribed
        // connections (a drop while the stream is still reconnecting would test nothing).
        const ready = () =>
          EXCHANGES.every(
            (ex) => !run.sim.isSilent(ex) && run.sim.connections(ex).some((c) => c.subscriptions.size > 0),
          );
        await waitFor(ready, 20_000, `both exchanges subscribed before fault ${Math.floor(step / 8)}`);
        injectFault(run, Math.floor(step / 8));
      }
      const due = run.faults.malformedDue[0];
      if (due && !run.sim.isSilent(due) && run.sim.connections(due).some((c) => c.subscriptions.size > 0)) {
        run.faults.malformedDue.shift();
        run.faults.malformedSent[due] += run.sim.malformed(12, due);
      }
      await tick(step % 4 === 0 ? 1 : 0);
    }
    const done = () =>
      run.series.every((s) => {
        const exp = expectedClosed(s, run.sim.now);
        const got = run.delivered.get(seriesId(s)) ?? [];
        return got.length > 0 && got[got.length - 1].timestamp === exp[exp.length - 1].timestamp;
      });
    await waitFor(done, 30_000, 'every series to deliver its last closed candle');
    await tick(100); // late frames (held during silences) must not add anything
  }, 80_000);

  afterAll(async () => {
    if (!run) return;
    for (const s of run.streams.values()) await s.stop();
    await run.sim.close();
  });

  it('injected at least 20 disconnects and silences', () => {
    expect(run.faults.disconnects + run.faults.silences).toBeGreaterThanOrEqual(20);
    const reconnects = [...run.streams.values()].reduce((a, s) => a + s.stats().reconnects, 0);
    expect(run.faults.effectiveDisconnects).toBeGreaterThan(0);
    expect(reconnects).toBeGreaterThanOrEqual(run.faults.effectiveDisconnects);
  });

  it('delivers every closed candle exactly once, in order, with the source values', () => {
    let live = 0;
    for (const s of run.series) {
      const got = run.delivered.get(seriesId(s)) ?? [];
      const exp = expectedClosed(s, run.sim.now);
      const first = got[0].timestamp;
      const want = exp.filter((c) => c.timestamp >= first);
      // 0 missing, 0 duplicate, 0 out of order, equal values.
      expect(got.map((c) => c.timestamp)).toEqual(want.map((c) => c.timestamp));
      expect(
        got.map(({ timestamp, open, high, low, close, volume }) => ({
          timestamp,
          open,
          high,
          low,
          close,
          volume,
        })),
      ).toEqual(want);
      expect(got.length - WARMUP).toBeGreaterThan(0);
      live += got.filter((c) => c.timestamp >= START).length;
    }
    expect(live).toBeGreaterThanOrEqual(2000);
  });

  it('counts what it dropped and what it fetched by REST', () => {
    for (const ex of EXCHANGES) {
      const st = run.streams.get(ex)?.stats();
      expect(st).toBeDefined();
      if (!st) continue;
      expect(st.duplicatesDropped).toBeGreaterThan(0);
      expect(st.outOfOrder).toBeGreaterThan(0);
      expect(st.backfilled).toBeGreaterThan(0);
      expect(st.deliveredWs).toBeGreaterThan(0);
      // Malformed frames held on a connection that was then cut never arrive; none is counted twice.
      expect(st.malformed).toBeGreaterThan(0);
      expect(st.malformed).toBeLessThanOrEqual(run.faults.malformedSent[ex]);
      expect(st.listenerErrors).toBe(0);
    }
  });

  it('fills the ring buffers with the same candles', () => {
    for (const s of run.series) {
      const buf = run.buffers.get(s);
      const got = run.delivered.get(seriesId(s)) ?? [];
      expect(buf.length).toBe(got.length);
      const w = buf.window();
      expect(w.close[w.length - 1]).toBe(got[got.length - 1].close);
    }
  });
});
