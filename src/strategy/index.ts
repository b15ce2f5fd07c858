export type {
  AccountView,
  HostedPlugin,
  OrderStatus,
  OrderUpdate,
  PluginContext,
  PluginHook,
  PluginState,
  PositionInfo,
  StrategyPlugin,
  Veto,
} from './plugin.ts';
export { PLUGIN_FIELDS, PLUGIN_HOOKS } from './plugin.ts';
export { checkPlugin } from './plugin-check.ts';
export { QuantileStrategy } from './quantile-strategy.ts';
export { createQuantgatePlugin } from './create.ts';
export { ModelSet } from './model-set.ts';
export { DecisionRecorder } from './decisions.ts';
export type { DecisionRecord } from './decisions.ts';
export { DECISION_REASONS, emptyCounters } from './reasons.ts';
export type { DecisionReason, ReasonCounters } from './reasons.ts';
export { evaluateGate, expectedEdge, kellyFraction, leaningDirection } from './gate.ts';
export type { GateInput, GateResult } from './gate.ts';
export { fuse, regimeOf } from './fusion.ts';
export type { FusionInput, FusionResult, Regime } from './fusion.ts';
export { FeatureWindow } from './feature-window.ts';
export { warmupShortfalls } from './warmup-check.ts';
