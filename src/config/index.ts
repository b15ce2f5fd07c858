export * from './schema.ts';
export * from './load.ts';
export { showValue } from './schema-helpers.ts';
export * from './sources.ts';
