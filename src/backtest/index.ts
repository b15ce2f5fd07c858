export * from './types.ts';
export * from './replay.ts';
export * from './metrics.ts';
export * from './buy-and-hold.ts';
export * from './summary.ts';
export * from './lookahead.ts';
export * from './engine.ts';
export * from './report.ts';
