import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuantgateError } from '../../src/core/errors.ts';
import { SecretRedactor } from '../../src/core/secrets.ts';
import { fileLayer } from '../../src/config/sources.ts';
import { readCandleFile } from '../../src/exchange/csv-store.ts';
import { StateFile } from '../../src/runtime/state-file.ts';
import { emptyState } from '../../src/runtime/state.ts';

const dir = mkdtempSync(join(tmpdir(), 'qg-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(fn: () => unknown): QuantgateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    return e as QuantgateError;
  }
  throw new Error('expected a QuantgateError');
}

describe('#18 item 10: bad files give their specific, short error naming the file', () => {
  it('a YAML alias bomb is CONFIG_INVALID (exit 2) naming the file, fast', () => {
    const p = join(dir, 'bomb.yaml');
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(
        `${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    writeFileSync(p, `${lines.join('\n')}\n`);
    const e = error(() => fileLayer(p));
    expect([e.code, e.exitCode]).toEqual(['CONFIG_INVALID', 2]);
    expect(e.message).toContain(p);
  });

  it('a config file over 1 MB is refused unread, naming the file', () => {
    const p = join(dir, 'huge.yaml');
    writeFileSync(p, `list:\n${'  - 1\n'.repeat(300_000)}`);
    const e = error(() => fileLayer(p));
    expect([e.code, e.exitCode]).toEqual(['CONFIG_INVALID', 2]);
    expect(e.message).toMatch(
      new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: config file is \\d+ bytes`),
    );
  });

  it('a binary CSV line is cut to 80 characters in the error', () => {
    const p = join(dir, 'binary.csv');
    writeFileSync(
      p,
      Buffer.concat([Buffer.from([0, 1, 2, 255, 254]), Buffer.alloc(3_000_000, 0x41), Buffer.from('\n')]),
    );
    const e = error(() => readCandleFile(p));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain(p);
    expect(e.message.length).toBeLessThan(p.length + 250);
    expect(e.message.includes('\u0000')).toBe(false);
  });

  it('a corrupt state backup is STATE_CORRUPT (exit 6) naming the backup', () => {
    const store = new StateFile(join(dir, 'state'), new SecretRedactor([]));
    store.write(emptyState(1000));
    writeFileSync(store.backupPath, '{"version":1,"ca');
    const e = error(() => store.restoreFromBackup());
    expect([e.code, e.exitCode]).toEqual(['STATE_CORRUPT', 6]);
    expect(e.message).toContain(store.backupPath);
  });
});
