import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Candle, Timeframe } from '../core/types.ts';

/**
 * What a backtest ran on, so a result can be checked and reproduced: the exact candles (a hash of
 * every value the replay and the training saw), the code and the configuration. A quant comparing
 * two reports sees at once whether they are comparable.
 */
export interface SeriesFingerprint {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly candles: number;
  /** Open times of the first and last candle (ms), null for an empty series. */
  readonly first: number | null;
  readonly last: number | null;
  /** SHA-256 (first 16 hex digits) of time, open, high, low, close, volume of every candle. */
  readonly sha256: string;
}

export interface RunProvenance {
  readonly quantgate: string;
  /** `git describe --always --dirty` of the checkout, or null outside a git checkout. */
  readonly commit: string | null;
  readonly node: string;
  /** SHA-256 (first 16 hex digits) of the effective configuration (file + defaults + flags). */
  readonly configSha256: string;
  readonly configFile: string | null;
}

export function seriesFingerprint(
  symbol: string,
  timeframe: Timeframe,
  candles: readonly Candle[],
): SeriesFingerprint {
  const h = createHash('sha256');
  const row = new Float64Array(6);
  const bytes = new Uint8Array(row.buffer);
  for (const c of candles) {
    row[0] = c.timestamp;
    row[1] = c.open;
    row[2] = c.high;
    row[3] = c.low;
    row[4] = c.close;
    row[5] = c.volume;
    h.update(bytes);
  }
  return {
    symbol,
    timeframe,
    candles: candles.length,
    first: candles[0]?.timestamp ?? null,
    last: candles[candles.length - 1]?.timestamp ?? null,
    sha256: h.digest('hex').slice(0, 16),
  };
}

const root = fileURLToPath(new URL('../..', import.meta.url));

function gitDescribe(): string | null {
  try {
    const out = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], {
      cwd: root,
      timeout: 5_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.toString().trim() || null;
  } catch {
    return null; // not a checkout (an npm install) or no git: the version still identifies the code
  }
}

/** The installed quantgate's version (package.json). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The config holds no secrets (keys come only from the environment); only its hash is kept. */
export function runProvenance(config: unknown, configFile: string | null): RunProvenance {
  return {
    quantgate: packageVersion(),
    commit: gitDescribe(),
    node: process.version,
    configSha256: createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16),
    configFile,
  };
}
