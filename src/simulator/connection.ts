import type { WebSocket } from 'ws';
import type { ExchangeId } from '../core/types.ts';

/**
 * One client websocket as the simulator sees it. Sending goes through `send`, which holds frames
 * while the exchange is silent (as a stalled TCP path would) and releases them in order after.
 */
export class SimConnection {
  readonly subscriptions = new Set<string>();
  /** Last kline frame sent per subscription, for the out-of-order fault. */
  readonly lastFrame = new Map<string, string>();
  private held: string[] = [];

  constructor(
    readonly exchange: ExchangeId,
    readonly ws: WebSocket,
    readonly path: string,
    /** Simulated time at which the connection opened (for the 24-hour disconnect). */
    readonly openedAtSim: number,
    /** Combined-stream form (Binance `/stream?streams=`): events wrapped in {stream, data}. */
    readonly combined: boolean,
    private readonly isSilent: () => boolean,
  ) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(frame: string): void {
    if (!this.open) return;
    if (this.isSilent()) {
      this.held.push(frame);
      return;
    }
    // Frames held during a silence go first: TCP never reorders a stream.
    if (this.held.length > 0) this.flush();
    this.ws.send(frame);
  }

  /** Sends what was held during a silence. */
  flush(): void {
    if (!this.open || this.isSilent()) return;
    const frames = this.held;
    this.held = [];
    for (const f of frames) this.ws.send(f);
  }

  get heldCount(): number {
    return this.held.length;
  }
}
