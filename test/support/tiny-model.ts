/** A model small enough to train in a second or two on the fixtures (tests only; says nothing about quality). */
export const TINY_MODEL = {
  architecture: 'mlp',
  window: 8,
  hidden: 8,
  epochs: 1,
  batchSize: 64,
  maxTrainSamples: 3000,
  split: { train: 0.55, validation: 0.15, calibration: 0.15 },
} as const;
