import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { createNetwork, initBackend, predictArrays } from '../../src/models/index.ts';

// Runs inside a worker thread: the backend pick must work there too (retraining runs in workers).
const info = await initBackend();
const again = await initBackend();
const net = createNetwork(
  { architecture: 'tft', window: 4, features: 3, hidden: 4, heads: 2, dropout: 0, targetScale: 1 },
  1,
);
const out = predictArrays(net, new Float32Array(2 * 4 * 3).fill(0.5), 2);
parentPort?.postMessage({
  backend: info.name,
  same: info === again,
  active: tf.getBackend(),
  q: Array.from(out.quantiles),
});
net.dispose();
