import type { RiskConfig } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import type { DecisionReason } from '../strategy/index.ts';

export type RiskState = 'ACTIVE' | 'REDUCING' | 'HALTED';

export interface RiskSnapshot {
  readonly state: RiskState;
  readonly peakEquity: number;
  readonly dayStart: number; // UTC midnight (ms) of the current trading day
  readonly dayStartEquity: number;
  readonly haltedManually: boolean;
  readonly orderTimes: readonly number[];
  /** New entries paused by the operator (absent in states saved before it existed = false). */
  readonly paused?: boolean;
}

export interface RiskCheckInput {
  readonly now: number;
  readonly symbol: string;
  readonly price: number;
  readonly quantity: number;
  readonly equity: number;
  readonly openPositions: number;
  readonly symbolNotional: number;
  readonly totalNotional: number;
}

export type RiskVerdict =
  | { readonly ok: true; readonly quantity: number; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: DecisionReason; readonly detail: string };

const DAY_MS = 86_400_000;

/**
 * The risk engine between the plugin's signals and the order manager (it lives beside the
 * portfolio it guards, not in the plugin). ACTIVE → REDUCING when drawdown from peak equity passes `maxDrawdown` (sizes shrink), back to
 * ACTIVE when it recovers to half that; any state → HALTED when the day's loss passes
 * `dailyLossLimit`, until the next UTC day or a manual resume. Time comes from the caller (candle time).
 */
export class RiskManager {
  private s: { -readonly [K in keyof RiskSnapshot]: RiskSnapshot[K] };

  constructor(
    private readonly cfg: RiskConfig,
    private readonly log: Logger,
    initialEquity: number,
    now: number,
  ) {
    this.s = {
      state: 'ACTIVE',
      peakEquity: initialEquity,
      dayStart: Math.floor(now / DAY_MS) * DAY_MS,
      dayStartEquity: initialEquity,
      haltedManually: false,
      orderTimes: [],
    };
  }

  get state(): RiskState {
    return this.s.state;
  }

  /** Mark equity at `now`: rolls the UTC day and updates the state machine. */
  update(now: number, equity: number): RiskState {
    const day = Math.floor(now / DAY_MS) * DAY_MS;
    if (day > this.s.dayStart) {
      this.s.dayStart = day;
      this.s.dayStartEquity = equity;
      if (this.s.state === 'HALTED' && !this.s.haltedManually) {
        this.log.info({ alert: true, rule: 'daily_loss', state: 'ACTIVE' }, 'new UTC day: trading resumes');
        this.s.state = 'ACTIVE';
      }
    }
    this.s.peakEquity = Math.max(this.s.peakEquity, equity);
    const dayLoss = this.s.dayStartEquity > 0 ? (this.s.dayStartEquity - equity) / this.s.dayStartEquity : 0;
    const drawdown = this.s.peakEquity > 0 ? (this.s.peakEquity - equity) / this.s.peakEquity : 0;
    if (this.s.state !== 'HALTED' && dayLoss > this.cfg.dailyLossLimit) {
      this.s.state = 'HALTED';
      this.log.warn(
        { alert: true, rule: 'daily_loss', value: dayLoss, limit: this.cfg.dailyLossLimit, equity },
        'daily loss limit breached: HALTED until the next UTC day',
      );
    } else if (this.s.state === 'ACTIVE' && drawdown > this.cfg.maxDrawdown) {
      this.s.state = 'REDUCING';
      this.log.warn(
        { alert: true, rule: 'max_drawdown', value: drawdown, limit: this.cfg.maxDrawdown, equity },
        'max drawdown breached: REDUCING position sizes',
      );
    } else if (this.s.state === 'REDUCING' && drawdown < this.cfg.maxDrawdown / 2) {
      this.s.state = 'ACTIVE';
      this.log.info({ rule: 'max_drawdown', value: drawdown }, 'drawdown recovered: ACTIVE');
    }
    return this.s.state;
  }

  get paused(): boolean {
    return this.s.paused === true;
  }

  /** Manual halt / resume (CLI or operator). */
  halt(): void {
    this.s.state = 'HALTED';
    this.s.haltedManually = true;
  }

  /** Operator pause: refuses new entries only (exits, TP/SL and signal closes never pass through here). */
  pause(): void {
    this.s.paused = true;
  }

  /** Lifts a pause and a manual or daily-loss halt: entries are checked against the limits again. */
  resume(): void {
    this.s.state = 'ACTIVE';
    this.s.haltedManually = false;
    this.s.paused = false;
  }

  /** Checks a new entry against every limit; may shrink its quantity to fit notional caps. */
  checkEntry(i: RiskCheckInput): RiskVerdict {
    if (this.s.paused === true)
      return { ok: false, reason: 'paused', detail: 'new entries paused by the operator' };
    if (this.s.state === 'HALTED') return { ok: false, reason: 'risk_halted', detail: 'risk state HALTED' };
    if (i.openPositions >= this.cfg.maxOpenPositions)
      return {
        ok: false,
        reason: 'max_positions',
        detail: `${i.openPositions} open >= ${this.cfg.maxOpenPositions}`,
      };
    const recent = this.s.orderTimes.filter((t) => t > i.now - 60_000);
    if (recent.length >= this.cfg.maxOrdersPerMinute)
      return { ok: false, reason: 'order_rate', detail: `${recent.length} orders in the last minute` };
    const notes: string[] = [];
    let qty = i.quantity;
    if (this.s.state === 'REDUCING') {
      qty *= this.cfg.reducingSizeFactor;
      notes.push(`REDUCING: size ×${this.cfg.reducingSizeFactor}`);
    }
    const room = Math.min(
      this.cfg.maxNotionalPerSymbol - i.symbolNotional,
      this.cfg.maxNotionalTotal - i.totalNotional,
    );
    if (room <= 0)
      return { ok: false, reason: 'max_notional', detail: `no notional room (${room.toFixed(2)})` };
    if (qty * i.price > room) {
      qty = room / i.price;
      notes.push(`capped to notional room ${room.toFixed(2)}`);
    }
    return { ok: true, quantity: qty, notes };
  }

  /** Records an order sent (for the per-minute rate limit). */
  recordOrder(now: number): void {
    this.s.orderTimes = [...this.s.orderTimes.filter((t) => t > now - 60_000), now];
  }

  snapshot(): RiskSnapshot {
    return { ...this.s, orderTimes: [...this.s.orderTimes] };
  }

  restore(s: RiskSnapshot): void {
    this.s = { ...s, orderTimes: [...s.orderTimes] };
  }
}
