import { describe, expect, it } from 'vitest';
import { LogOutput, childLogger, chooseLogFormat, createLogger, dedupeKeys } from '../../src/core/logger.ts';
import { REDACTED, SecretRedactor } from '../../src/core/secrets.ts';

/** Top-level keys as written in the raw text of one JSON line (a parse would hide duplicates). */
function rawTopLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

function capture(format?: 'json' | 'pretty', isTTY = false) {
  const lines: string[] = [];
  const destination = { write: (s: string) => lines.push(s), isTTY };
  return { lines, log: createLogger({ level: 'debug', format, destination }) };
}

describe('log format', () => {
  it('auto is pretty on a terminal and JSON on a pipe; an explicit choice wins', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('a destination that is a terminal gets readable lines, a pipe gets JSON', () => {
    const tty = capture(undefined, true);
    tty.log.warn({ symbol: 'BTC/USDT' }, 'entry refused');
    expect(() => JSON.parse(tty.lines[0]) as unknown).toThrow();
    expect(tty.lines[0]).toMatch(/WARN/);
    expect(tty.lines[0]).toContain('entry refused');
    expect(tty.lines[0]).toContain('BTC/USDT');
    const pipe = capture(undefined, false);
    pipe.log.warn({ symbol: 'BTC/USDT' }, 'entry refused');
    expect(JSON.parse(pipe.lines[0])).toMatchObject({ level: 40, msg: 'entry refused', symbol: 'BTC/USDT' });
  });

  it('pretty lines are scrubbed of secrets too', () => {
    const key = 'CANARY-KEY-0123456789abcdef';
    const lines: string[] = [];
    const log = createLogger({
      format: 'pretty',
      redactor: new SecretRedactor([key]),
      destination: { write: (s: string) => lines.push(s) },
    });
    log.info({ header: key }, `using ${key}`);
    expect(lines.join('')).not.toContain(key);
    expect(lines.join('')).toContain(REDACTED);
  });
});

describe('no duplicate keys in a line', () => {
  it('nested components and a re-bound timeframe appear once each, the most specific value kept', () => {
    const { lines, log } = capture('json');
    const backtest = childLogger(log, { component: 'backtest', timeframe: '5m' });
    const runtime = childLogger(backtest, { component: 'runtime', timeframe: '5m' });
    runtime.info({ timeframe: '1h', version: 'v1' }, 'model loaded');
    // Plain pino children (a host's logger) are deduplicated at write time.
    log.child({ component: 'host' }).child({ component: 'stream' }).info('connected');
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const raw = rawTopLevelKeys(line);
      expect(raw.length).toBe(Object.keys(parsed).length);
      expect(new Set(raw).size).toBe(raw.length);
    }
    expect(JSON.parse(lines[0])).toMatchObject({ component: 'backtest/runtime', timeframe: '1h' });
    expect(JSON.parse(lines[1])).toMatchObject({ component: 'stream' });
  });

  it('the raw-key counter would see a duplicate (the check can fail)', () => {
    const dup = '{"level":30,"component":"a","component":"b","msg":"x"}';
    expect(rawTopLevelKeys(dup)).toEqual(['level', 'component', 'component', 'msg']);
    expect(rawTopLevelKeys(dedupeKeys(dup).trim())).toEqual(['level', 'component', 'msg']);
  });
});

describe('LogOutput', () => {
  it('a progress bar can take the lines while it is drawn and give them back', () => {
    const direct: string[] = [];
    const diverted: string[] = [];
    const out = new LogOutput({ write: (s: string) => direct.push(s) });
    const log = createLogger({ format: 'json', destination: out });
    log.info('before');
    out.divert((s) => diverted.push(s));
    log.info('during');
    out.divert(null);
    log.info('after');
    expect(direct.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['before', 'after']);
    expect(diverted.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['during']);
  });
});
