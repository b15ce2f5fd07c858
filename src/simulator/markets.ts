import { readFileSync } from 'node:fs';

/** Market definitions served by the simulator, built from recorded exchange messages. */

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

type Obj = Record<string, unknown>;

/**
 * Binance `GET /api/v3/exchangeInfo`: the recorded BTCUSDT and ETHUSDT symbol objects, plus
 * SOLUSDT (absent from the recordings) derived from BTCUSDT's shape with SOL-like filters.
 */
export function binanceExchangeInfo(serverTime: number): Obj {
  const info = fixture<Obj & { symbols: Obj[] }>('binance-exchange-info.json');
  const btc = info.symbols.find((s) => s.symbol === 'BTCUSDT');
  const symbols = [...info.symbols];
  if (btc && !symbols.some((s) => s.symbol === 'SOLUSDT')) {
    const sol = structuredClone(btc);
    sol.symbol = 'SOLUSDT';
    sol.baseAsset = 'SOL';
    sol.filters = (sol.filters as Obj[]).map((f) => {
      if (f.filterType === 'LOT_SIZE')
        return { ...f, minQty: '0.00100000', maxQty: '9000000.00000000', stepSize: '0.00100000' };
      if (f.filterType === 'MARKET_LOT_SIZE') return { ...f, maxQty: '20000.00000000' };
      return f;
    });
    symbols.push(sol);
  }
  return { ...info, serverTime, symbols };
}

/** The Binance market id of a unified spot symbol: BTC/USDT → BTCUSDT. */
export function binanceMarketId(symbol: string): string {
  return symbol.replace('/', '').split(':')[0];
}

interface HlMeta {
  universe: Array<{ name: string; szDecimals: number; maxLeverage: number; onlyIsolated?: boolean }>;
}

interface HlToken {
  name: string;
  szDecimals: number;
  weiDecimals: number;
  index: number;
  tokenId: string;
  isCanonical: boolean;
  evmContract: null;
  fullName: string | null;
}

interface HlSpotMeta {
  tokens: HlToken[];
  universe: Array<{ name: string; tokens: [number, number]; index: number; isCanonical: boolean }>;
}

/** Hyperliquid perps metadata (recorded 2023-07-17: BTC, ETH, SOL and 25 more). */
export function hyperliquidMeta(): HlMeta {
  return fixture<HlMeta>('hyperliquid-meta.json');
}

/**
 * Hyperliquid spot metadata: the recorded PURR/USDC and @1 markets, plus the "Unit" tokens
 * UBTC, UETH, USOL (ccxt maps them to BTC/USDC, ETH/USDC, SOL/USDC as on the real exchange).
 */
export function hyperliquidSpotMeta(): HlSpotMeta {
  const meta = fixture<HlSpotMeta>('hyperliquid-spot-meta.json');
  const units: Array<[string, string, number]> = [
    ['UBTC', 'Unit Bitcoin', 5],
    ['UETH', 'Unit Ethereum', 4],
    ['USOL', 'Unit Solana', 3],
  ];
  for (const [name, fullName, szDecimals] of units) {
    const index = meta.tokens.length;
    meta.tokens.push({
      name,
      szDecimals,
      weiDecimals: 10,
      index,
      tokenId: `0x${(index + 0xabc000).toString(16).padStart(32, '0')}`,
      isCanonical: false,
      evmContract: null,
      fullName,
    });
    const u = meta.universe.length;
    meta.universe.push({ name: `@${u}`, tokens: [index, 0], index: u, isCanonical: false });
  }
  return meta;
}

/** Asset context for one market: prices from the replay when known, else neutral values. */
export function hyperliquidCtx(price: number | undefined, perp: boolean): Obj {
  const px = price === undefined ? '1.0' : String(price);
  const base: Obj = { dayNtlVlm: '1000000.0', markPx: px, midPx: px, prevDayPx: px };
  return perp
    ? {
        ...base,
        funding: '0.0000125',
        impactPxs: [px, px],
        openInterest: '1000.0',
        oraclePx: px,
        premium: '0.0',
      }
    : { ...base, circulatingSupply: '1000000.0', coin: 'X', totalSupply: '1000000.0' };
}

/**
 * The Hyperliquid `coin` of a unified symbol: perps use the base (BTC/USDC:USDC → BTC); spot uses
 * the market name (PURR/USDC) or its `@index` for the Unit tokens (BTC/USDC → @2).
 */
export function hyperliquidCoin(symbol: string, spot: HlSpotMeta): string | undefined {
  if (symbol.includes(':')) return symbol.split('/')[0];
  const [base, quote] = symbol.split('/');
  for (const m of spot.universe) {
    const b = spot.tokens[m.tokens[0]];
    const q = spot.tokens[m.tokens[1]];
    if (!b || !q || q.name !== quote) continue;
    const mapped = b.fullName?.startsWith('Unit ') && b.name.startsWith('U') ? b.name.slice(1) : b.name;
    if (mapped === base || b.name === base) return m.name;
  }
  return undefined;
}
