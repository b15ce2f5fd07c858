export { startControlServer } from './server.ts';
export type { ControlServer, ControlServerOptions } from './server.ts';
export { buildStatus } from './status.ts';
export type {
  CloseOutcomeView,
  ControlStatus,
  ControlTarget,
  ModelView,
  PositionView,
  ReloadOutcome,
  RuntimeView,
} from './status.ts';
export { MIN_TOKEN_LENGTH, bearerOf, controlTokenFromEnv, tokenMatches } from './token.ts';
export { ControlClient } from './client.ts';
export type { ControlClientOptions } from './client.ts';
export { formatPositions, formatStatus } from './format.ts';
