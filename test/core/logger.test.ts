import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { REDACTED, SecretRedactor, secretValuesFromEnv } from '../../src/core/secrets.ts';

const CANARY = 'CANARY-KEY-7f3a9c1e5b2d4f60a8e1';

describe('secret redaction', () => {
  it('finds secret values in the QUANTGATE_* environment variables', () => {
    expect(secretValuesFromEnv({ QUANTGATE_BINANCE_KEY: CANARY, OTHER: 'x' })).toEqual([CANARY]);
  });

  it('scrubs a key from every logged field, message and error', () => {
    const lines: string[] = [];
    const log = createLogger({
      redactor: new SecretRedactor([CANARY]),
      destination: { write: (s: string) => lines.push(s) },
    });
    log.info({ headers: { 'X-MBX-APIKEY': CANARY } }, `connecting with ${CANARY}`);
    log.error({ err: new Error(`bad key ${CANARY}`) }, 'failed');
    const all = lines.join('');
    expect(lines.length).toBe(2);
    expect(all).not.toContain(CANARY);
    expect(all).toContain(REDACTED);
  });

  it('ignores values too short to be keys', () => {
    expect(new SecretRedactor(['abc']).redact('abc def')).toBe('abc def');
  });
});
