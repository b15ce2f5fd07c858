export { Runtime } from './runtime.ts';
export type { RuntimeOptions, RuntimePlugin, RuntimeStatus } from './runtime.ts';
export { StateFile } from './state-file.ts';
export { emptyState, equityOf, stateProblem } from './state.ts';
export type { PendingIntent, PositionState, RuntimeState, TradeRecord } from './state.ts';
export { PaperExecutor } from './paper-executor.ts';
export { liveExecutor } from './executor.ts';
export type { OrderExecutor } from './executor.ts';
export { decisionClientId } from './client-ids.ts';
