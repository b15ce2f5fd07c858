import type { Logger } from '../core/logger.ts';
import { emptyCounters } from './reasons.ts';
import type { DecisionReason, ReasonCounters } from './reasons.ts';

export interface DecisionRecord {
  readonly symbol: string;
  readonly timestamp: number;
  readonly reason: DecisionReason;
  readonly detail: string;
}

/**
 * Every execution-candle decision, trade or not, lands here exactly once: counted by reason,
 * logged at debug (trades at info), and the last few kept for the status line.
 */
export class DecisionRecorder {
  private counters: ReasonCounters = emptyCounters();
  private readonly recent: DecisionRecord[] = [];
  /** While false (warm-up replay), decisions are neither counted nor logged. */
  enabled = true;

  constructor(
    private readonly log: Logger,
    private readonly keep = 20,
  ) {}

  record(symbol: string, timestamp: number, reason: DecisionReason, detail: string): void {
    if (!this.enabled) return;
    this.counters[reason]++;
    const rec = { symbol, timestamp, reason, detail };
    this.recent.push(rec);
    if (this.recent.length > this.keep) this.recent.shift();
    const level = reason.startsWith('trade_') ? 'info' : 'debug';
    // One call per candle in a replay: skip building the log record when the level is off.
    if (this.log.isLevelEnabled(level))
      this.log[level]({ decision: reason, symbol, at: new Date(timestamp).toISOString() }, detail);
  }

  /** Moves one already-recorded decision to another reason (the host's risk check overrides a trade). */
  reclassify(from: DecisionReason, to: DecisionReason): void {
    if (!this.enabled) return;
    if (this.counters[from] > 0) this.counters[from]--;
    this.counters[to]++;
  }

  counts(): Readonly<ReasonCounters> {
    return { ...this.counters };
  }

  last(): readonly DecisionRecord[] {
    return [...this.recent];
  }

  restore(c: Partial<ReasonCounters>): void {
    this.counters = { ...emptyCounters(), ...c };
  }
}
