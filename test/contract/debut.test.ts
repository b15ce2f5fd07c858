/**
 * The contract kit against the Debut adapter, hosted by `DebutReplica` (test/support/debut-core.ts,
 * a port of github.com/debut-js/Core @ 94b0717d14854b7b29413ba4e2b0f7554acb51d0, 5.0.8). Debut runs
 * one symbol per bot, so the kit's scenario has one symbol. Warm-up candles go in as the adapter's
 * store `history`; decided candles as Debut ticks (one more tick opens the next candle, since Debut
 * closes a candle only when the next one's first tick arrives). A canceled entry is a Debut plugin
 * skipping the open (createOrder resolves undefined); a rejected one is the transport failing to
 * place (createOrder rejects). A restart goes through Debut's getSnapshot / hydrateSnapshot.
 */
import { describe, expect, it } from 'vitest';
import type {
  Candle as DebutCandle,
  DebutOptions,
  DebutSnapshotData,
  ExecutedOrder,
  PendingOrder,
  PluginInterface,
} from '@debut/types';
import { quantgateDebutPlugin } from '../../src/adapters/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { runContractKit } from '../../src/contract/index.ts';
import type { ContractHost, ContractSession } from '../../src/contract/index.ts';
import { silentLogger, timeframeMs } from '../../src/core/index.ts';
import type { ClosedCandle } from '../../src/core/index.ts';
import { DecisionRecorder, ModelSet } from '../../src/strategy/index.ts';
import { DebutReplica, TesterTransport } from '../support/debut-core.ts';
import { RiskManager } from '../../src/runtime/index.ts';

const SYMBOL = 'BTC/USDT';
const CONFIG = configSchema.parse({ exchange: { name: 'binance', symbols: [SYMBOL] } });
const RISK_CAP = CONFIG.risk.maxNotionalPerSymbol;
const AMOUNT = 10_000;

const toDebut = (c: ClosedCandle): DebutCandle => ({
  o: c.open,
  h: c.high,
  l: c.low,
  c: c.close,
  v: c.volume,
  time: c.timestamp,
});

function debutHost(): ContractHost {
  let saved: Partial<DebutSnapshotData> | undefined;
  return {
    name: 'Debut adapter (DebutReplica of debut-js/Core 5.0.8)',
    hooks: ['init', 'restore', 'warm', 'onCandle', 'beforeOpen', 'onOrderUpdate', 'snapshot', 'dispose'],
    failures: ['canceled', 'rejected'],
    persists: true,
    riskCap: RISK_CAP,
    async run(session: ContractSession): Promise<void> {
      let sent = 0;
      let rejectNext = false;
      class ScriptedTransport extends TesterTransport {
        override async placeOrder(order: PendingOrder, opts: DebutOptions): Promise<ExecutedOrder> {
          if (rejectNext) {
            rejectNext = false;
            throw new Error('scripted reject');
          }
          return super.placeOrder(order, opts);
        }
      }
      // A Debut plugin after the adapter's: it counts the orders and makes the kit's failures.
      const outcome = (): ReturnType<ContractSession['orderOutcome']> => session.orderOutcome(SYMBOL, ++sent);
      const scripted: PluginInterface = {
        name: 'scripted-venue',
        onBeforeOpen: () => {
          const want = outcome();
          rejectNext = want === 'rejected';
          return want === 'canceled';
        },
        onBeforeClose: () => {
          rejectNext = outcome() === 'rejected';
          return false;
        },
      };
      const warmup = session.candles.filter((c) => c.warmup).map((c) => c.candle);
      const decided = session.candles.filter((c) => !c.warmup).map((c) => c.candle);
      const transport = new ScriptedTransport({ ticker: 'BTCUSDT', broker: 'binance' });
      const bot = new DebutReplica(transport, {
        broker: 'binance',
        ticker: 'BTCUSDT',
        currency: 'USDT',
        interval: '5min',
        amount: AMOUNT,
      });
      const risk = new RiskManager(CONFIG.risk, silentLogger(), AMOUNT, decided[0].timestamp);
      const plugin = quantgateDebutPlugin({
        strategy: session.plugin,
        context: {
          config: CONFIG,
          logger: silentLogger(),
          models: new ModelSet(silentLogger()),
          decisions: new DecisionRecorder(silentLogger()),
        },
        exchange: 'binance',
        symbol: SYMBOL,
        history: warmup,
        risk,
      });
      bot.registerPlugins([plugin, scripted]);
      if (session.part === 2) bot.hydrateSnapshot(saved!);
      const last = decided.at(-1)!;
      const next = { ...toDebut(last), o: last.close, h: last.close, l: last.close };
      transport.setTicks([...decided.map(toDebut), { ...next, time: last.timestamp + timeframeMs('5m') }]);
      await bot.start();
      await transport.run();
      saved = JSON.parse(JSON.stringify(bot.getSnapshot())) as Partial<DebutSnapshotData>;
      await bot.closeAll();
      await bot.dispose();
    },
  };
}

describe('plugin contract kit', () => {
  it('the Debut adapter, inside a port of Debut’s core, calls every hook it declares as documented', async () => {
    const report = await runContractKit(debutHost(), { symbols: [SYMBOL] });
    expect(report.sessions).toBe(2);
    // Debut hosts one symbol per bot and no model status: only prepare and modelVersions are not called.
    expect(report.skipped).toEqual([
      'prepare (not called by this host)',
      'modelVersions (not called by this host)',
    ]);
    expect(report.checked).toContain(
      'onOrderUpdate once per fill, cancel and reject, with its symbol, kind and status',
    );
  });
});
