// The composition roots: where the runtime, the models, the retrain service and the control API are
// wired together for a live/paper run and for the offline demo. Nothing below app/ imports it.
export { marketCanShort, startLive } from './live.ts';
export type { LiveHandle, LiveOptions } from './live.ts';
export { demoConfig, runDemo } from './demo.ts';
export type { DemoOptions, DemoResult } from './demo.ts';
