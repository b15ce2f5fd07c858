import { QuantgateError } from '../core/errors.ts';
import type { Forecast } from '../core/types.ts';

/** A candle whose features were advanced by `prepare`; its forecast is filled in by the group's predict. */
export interface PreparedEntry {
  readonly at: number;
  forecast: Forecast | undefined;
}

/**
 * Forecasts made ahead of `onCandle` by one batched predict per close instant. At most one entry
 * per series: its features already include the candle, so that candle must be the next one the
 * host feeds for the series — anything else is a host bug, and answering with the wrong candle's
 * forecast would be a silent look-ahead, so it throws instead.
 */
export class PreparedForecasts {
  private readonly entries = new Map<string, PreparedEntry>();

  has(series: string): boolean {
    return this.entries.has(series);
  }

  add(series: string, at: number): PreparedEntry {
    const e: PreparedEntry = { at, forecast: undefined };
    this.entries.set(series, e);
    return e;
  }

  /** The prepared entry of `series` for the candle at `at`, removed; undefined when none was prepared. */
  take(series: string, at: number): PreparedEntry | undefined {
    const e = this.entries.get(series);
    if (!e) return undefined;
    this.entries.delete(series);
    if (e.at !== at)
      throw new QuantgateError(
        'INTERNAL',
        `strategy: ${series} candle at ${new Date(at).toISOString()} arrived but the prepared one is at ${new Date(e.at).toISOString()} (a host must feed every prepared candle next, in order)`,
      );
    return e;
  }

  clear(): void {
    this.entries.clear();
  }
}
