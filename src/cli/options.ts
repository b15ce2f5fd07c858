import { parseUtcDate } from '../core/dates.ts';
import { QuantgateError } from '../core/errors.ts';
import { symbolProblem } from '../core/symbols.ts';
import { isExchangeId } from '../core/types.ts';
import type { ExchangeId } from '../core/types.ts';

/**
 * The command-line value parsers every command shares, so an option means the same everywhere and
 * a bad value is always a usage error (exit 2) naming the option — never the config file.
 */

function splitCommaList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** `--symbols BTC/USDT,ETH/USDT`: undefined when not given; every entry a unified symbol. */
export function parseSymbolsOption(s: string | undefined, name = '--symbols'): string[] | undefined {
  if (s === undefined) return undefined;
  const symbols = splitCommaList(s);
  if (symbols.length === 0)
    throw new QuantgateError('USAGE', `${name}: expected at least one symbol, e.g. BTC/USDT,ETH/USDT`);
  for (const sym of symbols) {
    const problem = symbolProblem(sym);
    if (problem !== null) throw new QuantgateError('USAGE', `${name}: ${problem}`);
  }
  return symbols;
}

/** A date option through the one date parser (core/dates.ts); undefined when not given. */
export function parseDateOption(name: string, s: string | undefined): number | undefined {
  return s === undefined ? undefined : parseUtcDate(s, name);
}

/** A whole number in [min, max]: `--epochs 0.5`, `--epochs 1e3x` or `--epochs ''` are refused. */
export function parseIntOption(
  name: string,
  s: string | undefined,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  const n = /^[+]?\d+$/.test(t) ? Number(t) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer ${min}…${max}`;
    throw new QuantgateError('USAGE', `${name}: expected ${range}, got "${s.slice(0, 40)}"`);
  }
  return n;
}

/** A positive finite number (e.g. a time budget in minutes). */
export function parsePositive(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = s.trim() === '' ? NaN : Number(s);
  if (!(Number.isFinite(n) && n > 0))
    throw new QuantgateError('USAGE', `${name}: expected a positive number, got "${s.slice(0, 40)}"`);
  return n;
}

/** `--exchange binance|hyperliquid`: the config's exchange when not given. */
export function parseExchange(s: string | undefined, fallback: ExchangeId): ExchangeId {
  if (s === undefined) return fallback;
  if (!isExchangeId(s))
    throw new QuantgateError('USAGE', `--exchange: expected binance or hyperliquid, got "${s}"`);
  return s;
}
