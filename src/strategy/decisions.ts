import type { Logger } from '../core/logger.ts';
import { DECISION_REASONS, emptyCounters } from './reasons.ts';
import type { DecisionReason, ReasonCounters } from './reasons.ts';

export interface DecisionRecord {
  readonly symbol: string;
  readonly timestamp: number;
  readonly reason: DecisionReason;
  readonly detail: string;
}

export interface DecisionRecorderOptions {
  /** Last decisions kept for the status line. */
  readonly keep?: number;
  /** Candle time between two info summaries of the decisions by reason; 0 = none. */
  readonly summaryEveryMs?: number;
}

/** `low_confidence 40, poor_rr 12, trade_opened 1`: the reasons counted, most frequent first. */
export function reasonSummary(c: Readonly<Partial<ReasonCounters>>): string {
  const parts = DECISION_REASONS.map((r) => [r, c[r] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return parts.length === 0 ? 'none' : parts.map(([r, n]) => `${r} ${n}`).join(', ');
}

/**
 * Every execution-candle decision, trade or not, lands here exactly once: counted by reason,
 * logged at debug (trades at info), and the last few kept for the status line. Every
 * `summaryEveryMs` of candle time one info line counts the reasons since the previous one, so a
 * log at info says why nothing traded without a line per candle.
 */
export class DecisionRecorder {
  private counters: ReasonCounters = emptyCounters();
  private readonly recent: DecisionRecord[] = [];
  /** While false (warm-up replay), decisions are neither counted nor logged. */
  enabled = true;

  private readonly keep: number;
  private readonly summaryEveryMs: number;
  private window: Partial<ReasonCounters> = {};
  private windowStart: number | undefined;

  constructor(
    private readonly log: Logger,
    opts: DecisionRecorderOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { keep: opts } : opts;
    this.keep = o.keep ?? 20;
    this.summaryEveryMs = o.summaryEveryMs ?? 0;
  }

  record(symbol: string, timestamp: number, reason: DecisionReason, detail: string): void {
    if (!this.enabled) return;
    this.counters[reason]++;
    if (this.summaryEveryMs > 0) this.countForSummary(timestamp, reason);
    const rec = { symbol, timestamp, reason, detail };
    this.recent.push(rec);
    if (this.recent.length > this.keep) this.recent.shift();
    const level = reason.startsWith('trade_') ? 'info' : 'debug';
    // One call per candle in a replay: skip building the log record when the level is off.
    if (this.log.isLevelEnabled(level))
      this.log[level]({ decision: reason, symbol, at: new Date(timestamp).toISOString() }, detail);
  }

  private countForSummary(timestamp: number, reason: DecisionReason): void {
    const start = Math.floor(timestamp / this.summaryEveryMs) * this.summaryEveryMs;
    if (this.windowStart !== undefined && start > this.windowStart) this.flushSummary(start);
    if (this.windowStart === undefined || start > this.windowStart) this.windowStart = start;
    this.window[reason] = (this.window[reason] ?? 0) + 1;
  }

  /** Logs the reasons counted since the last summary (candle times `windowStart` up to `until`). */
  flushSummary(until?: number): void {
    if (this.windowStart === undefined) return;
    const reasons = this.window;
    const total = Object.values(reasons).reduce((a, n) => a + (n ?? 0), 0);
    if (total > 0) {
      const from = new Date(this.windowStart).toISOString();
      const to = until === undefined ? undefined : new Date(until).toISOString();
      this.log.info(
        { from, to, decisions: total, reasons },
        `decisions since ${from}: ${reasonSummary(reasons)}`,
      );
    }
    this.window = {};
  }

  /** Moves one already-recorded decision to another reason (the host's risk check overrides a trade). */
  reclassify(from: DecisionReason, to: DecisionReason): void {
    if (!this.enabled) return;
    if (this.counters[from] > 0) this.counters[from]--;
    this.counters[to]++;
    const n = this.window[from] ?? 0;
    if (n > 0) {
      if (n === 1) delete this.window[from];
      else this.window[from] = n - 1;
      this.window[to] = (this.window[to] ?? 0) + 1;
    }
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
