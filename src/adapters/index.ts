export { quantgateDebutPlugin } from './debut.ts';
export type {
  DebutAdapterApi,
  DebutAdapterOptions,
  DebutEvent,
  DebutHostedStrategy,
  DebutOutcome,
  QuantgateDebutPlugin,
} from './debut.ts';
export type { DebutEntry } from './debut-account.ts';
export { CandleBuilder, planTimeframes, timeframeOfDebutInterval } from './debut-timeframes.ts';
