/** Injected time source: live code uses SystemClock, backtests and tests a ManualClock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  set(t: number): void {
    if (t < this.t) throw new Error(`ManualClock cannot go back in time (${t} < ${this.t})`);
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
