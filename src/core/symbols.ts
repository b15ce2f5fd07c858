/**
 * One rule for what a symbol is, used by the config schema, every command's --symbols and the
 * candle store's file names: a ccxt unified symbol `BASE/QUOTE` (spot) or `BASE/QUOTE:SETTLE`
 * (perpetual), each part 1–20 upper-case letters or digits. Nothing else can reach a file path,
 * so a symbol can never name a directory outside the store.
 */
export const SYMBOL_PATTERN = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/;

export const SYMBOL_EXAMPLE = 'BTC/USDT (spot) or BTC/USDC:USDC (perpetual)';

export function isUnifiedSymbol(s: string): boolean {
  return SYMBOL_PATTERN.test(s);
}

/** Why `s` is not a symbol (one short phrase, the value shown at most 40 characters), or null. */
export function symbolProblem(s: string): string | null {
  if (isUnifiedSymbol(s)) return null;
  const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return `${JSON.stringify(shown)} is not a symbol like ${SYMBOL_EXAMPLE}: upper-case letters and digits, one "/"`;
}
