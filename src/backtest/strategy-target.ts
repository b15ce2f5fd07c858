import type { Config } from '../config/index.ts';
import { childLogger } from '../core/logger.ts';
import type { Logger } from '../core/logger.ts';
import { DecisionRecorder, ModelSet, QuantileStrategy } from '../strategy/index.ts';
import type { TargetContext } from './run.ts';
import { runtimeTarget } from './runtime-target.ts';
import type { RuntimeTarget } from './runtime-target.ts';
import { RiskManager } from '../runtime/index.ts';

/**
 * The backtest target for quantgate's own strategy: QuantileStrategy inside the live Runtime with
 * the paper executor. The plugin sees the account and positions through the runtime's state, as
 * it does live.
 */
export async function strategyTarget(
  config: Config,
  ctx: TargetContext,
  logger: Logger,
): Promise<RuntimeTarget> {
  const log = childLogger(logger, { component: 'backtest' });
  const models = new ModelSet(log, ctx.models);
  // Once per simulated day: a per-hour line would flood a months-long replay's log.
  const decisions = new DecisionRecorder(log, { summaryEveryMs: 86_400_000 });
  const plugin = new QuantileStrategy(config);
  const target = await runtimeTarget({
    exchange: config.exchange.name,
    executionTimeframe: config.strategy.executionTimeframe,
    plugin,
    // The runtime calls init (with its account) before the first candle, as it does live.
    context: { config, logger: log, models, decisions },
    risk: new RiskManager(config.risk, log, config.paper.startingBalance, 0),
    clock: ctx.clock,
    logger: log,
    startingBalance: config.paper.startingBalance,
    feeRate: config.exchange.takerFee,
    slippageBps: config.paper.slippageBps,
    fundingRatePer8h: config.exchange.market === 'swap' ? config.backtest.fundingRatePer8h : 0,
    // The backtest has no exchange to ask: the configured market type says whether shorts exist.
    canShort: () => config.exchange.market === 'swap',
    pluginCounters: () => ({ ...decisions.counts() }),
  });
  // Warm-up candles build history only: the recorder does not count their decisions.
  return {
    ...target,
    warm: async (c) => {
      decisions.enabled = false;
      try {
        await target.warm(c);
      } finally {
        decisions.enabled = true;
      }
    },
  };
}
