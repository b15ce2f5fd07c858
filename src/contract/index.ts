/**
 * The plugin contract test kit, for host authors: `runContractKit(host)` drives any host of a
 * `StrategyPlugin` with a recording plugin and asserts (node:assert, no test runner needed) that
 * each hook the host declares is called in the documented order with the documented arguments.
 * Implement `ContractHost` for your host; see test/contract/ for the built-in runtime and backtest.
 */
export { runContractKit } from './kit.ts';
export type { ContractHost, ContractReport, ContractSession } from './kit.ts';
export { OVERSIZED, RecordingPlugin } from './recording-plugin.ts';
export type { HookCall } from './recording-plugin.ts';
export { DECIDED, SPLIT, scenarioCandles, script } from './scenario.ts';
export type { ContractCandle, ContractOptions, ScriptStep } from './scenario.ts';
