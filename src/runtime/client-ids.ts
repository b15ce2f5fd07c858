import { createHash } from 'node:crypto';

/**
 * The client order id of one decision: the same candle and action always give the same id, so
 * a runtime restarted after a crash that re-decides a candle asks the exchange about the order
 * it may already have sent instead of sending a second one.
 */
export function decisionClientId(parts: readonly (string | number)[]): string {
  return `0x${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32)}`;
}
