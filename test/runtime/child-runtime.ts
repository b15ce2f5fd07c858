/**
 * The runtime in a child process for the SIGKILL test: argv = <port> <stateDir>. Its clock is
 * the simulator's, polled over HTTP (the simulator lives in the parent). Starts on a stdin line.
 */
import { once } from 'node:events';
import { startRuntimeAt } from './harness.ts';

// Imports (ccxt) take seconds on a busy box: the parent spawns us early and says "go" on stdin.
await once(process.stdin, 'data');

const [port, stateDir] = process.argv.slice(2);
const base = `127.0.0.1:${port}`;
let now = 0;
const poll = async () => {
  const r = await fetch(`http://${base}/api/v3/time`);
  now = ((await r.json()) as { serverTime: number }).serverTime;
};
await poll();
setInterval(() => void poll().catch(() => undefined), 10).unref();
await startRuntimeAt(
  { rest: `http://${base}/api/v3`, ws: `ws://${base}/stream/ws` },
  { now: () => now },
  stateDir,
  undefined,
  undefined,
  true,
);
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30);
