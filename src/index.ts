/**
 * The package's entrance for a host (`import … from 'quantgate'`): the plugin factory, the plugin
 * contract's types and what a host needs to build the plugin's context. Everything here is public
 * API. The subpath exports (`quantgate/strategy`, `quantgate/adapters`, `quantgate/config`,
 * `quantgate/core`, `quantgate/contract`: the contract test kit for host authors) are the folders'
 * own entrances; the Debut adapter lives only in `quantgate/adapters`, so a host without
 * `@debut/types` never sees its types.
 */
export {
  checkPlugin,
  createQuantgatePlugin,
  DecisionRecorder,
  ModelSet,
  PLUGIN_HOOKS,
} from './strategy/index.ts';
export type {
  AccountView,
  DecisionRecord,
  OrderStatus,
  OrderUpdate,
  PluginContext,
  PluginHook,
  PluginState,
  PositionInfo,
  StrategyPlugin,
  Veto,
} from './strategy/index.ts';
export { DEFAULT_CONFIG_PATH, loadConfig, loadConfigSources, parseConfig } from './config/index.ts';
export type { Config, ConfigSources } from './config/index.ts';
export { activeVersionDir, initBackend, loadForecaster } from './models/index.ts';
export type { BackendInfo, BackendOptions, Forecaster } from './models/index.ts';
export { createLogger, MODEL_TIMEFRAMES, QuantgateError } from './core/index.ts';
export type {
  ClosedCandle,
  Direction,
  ExchangeId,
  Forecast,
  Logger,
  LoggerOptions,
  ModelTimeframe,
  Signal,
  Timeframe,
} from './core/index.ts';
