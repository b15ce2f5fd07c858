/** Capped exponential backoff: initial · 2^attempt, at most max (attempt counts from 0). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(attempt, 30);
  return Math.min(maxMs, initialMs * 2 ** exp);
}

/** A sleep that `cancel()` ends early (so stopping a stream never waits out a backoff). */
export function cancellableSleep(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let done: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    done = resolve;
    timer = setTimeout(resolve, ms);
  });
  return {
    promise,
    cancel: () => {
      if (timer) clearTimeout(timer);
      done();
    },
  };
}
