/**
 * Keys the schema once had and dropped because they changed nothing (test/config/
 * every-key-has-effect.test.ts). A config that still sets one is refused like any unknown key,
 * but the message says the key was removed and why, so the user knows to delete the line.
 */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
  'exchange.makerFee':
    'removed: quantgate sends only market (taker) orders, so only exchange.takerFee is ever charged; delete the line',
  'exchange.bufferCapacity':
    "removed: no candle ring buffer reads it (each model's feature window keeps the history it needs); delete the line",
  'model.conformalGamma':
    'removed: the online adaptive conformal update was never applied live (offsets stay as fitted on the calibration slice); delete the line',
};

/** `modelOverrides.1d.x` and `features.overrides.5m.x` are the same key as `model.x` and `features.x`. */
function canonical(path: string): string {
  return path
    .replace(/^modelOverrides\.[^.]+\./, 'model.')
    .replace(/^features\.overrides\.[^.]+\./, 'features.');
}

/** Why `path` is no longer a key, or undefined when it never was one. */
export function removedKeyReason(path: string): string | undefined {
  return REMOVED_KEYS[canonical(path)];
}
