export { quantgateDebutPlugin } from './debut.ts';
export type {
  DebutAdapterApi,
  DebutAdapterOptions,
  DebutExit,
  HostedStrategy,
  QuantgateDebutPlugin,
} from './debut.ts';
