export * from './types.ts';
export * from './errors.ts';
export * from './clock.ts';
export * from './secrets.ts';
export * from './logger.ts';
export * from './durable-json.ts';
export * from './atomic-file.ts';
