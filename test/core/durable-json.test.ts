import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurableJson } from '../../src/core/durable-json.ts';
import type { SyncFn } from '../../src/core/durable-json.ts';
import { QuantgateError } from '../../src/core/errors.ts';

const schema = z.object({ counter: z.number().int(), names: z.array(z.string()) });
type Doc = z.infer<typeof schema>;
const defaults: Doc = { counter: 0, names: [] };

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qg-durable-'));
  path = join(dir, 'state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<QuantgateError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof QuantgateError)) throw new Error(`expected a QuantgateError, got ${String(e)}`);
  return e;
}

describe('DurableJson', () => {
  it('round-trips a document through the disk and keeps the previous version as .bak', async () => {
    const store = await DurableJson.open({ path, schema, defaults });
    expect(store.data).toEqual(defaults);
    await store.update((d) => ({ counter: d.counter + 1, names: ['a'] }));
    await store.update((d) => {
      d.counter += 1;
      d.names.push('b');
    });
    await store.close();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ counter: 2, names: ['a', 'b'] });
    expect(JSON.parse(readFileSync(`${path}.bak`, 'utf8'))).toEqual({ counter: 1, names: ['a'] });
    expect(existsSync(`${path}.lock`)).toBe(false);
    const again = await DurableJson.open({ path, schema, defaults });
    expect(again.data).toEqual({ counter: 2, names: ['a', 'b'] });
    await again.close();
  });

  it('fsyncs the temp file, the backup and the directory on every write, before the rename is visible', async () => {
    const calls: string[] = [];
    const sync: SyncFn = (_fd, what, p) => {
      calls.push(`${what}:${p.replace(dir, '')}:${existsSync(path) ? readFileSync(path, 'utf8').length : 0}`);
    };
    const store = await DurableJson.open({ path, schema, defaults, sync });
    await store.update(() => ({ counter: 1, names: [] }));
    await store.update(() => ({ counter: 2, names: [] }));
    await store.close();
    expect(calls.map((c) => c.split(':').slice(0, 2).join(':'))).toEqual([
      'file:/state.json.tmp',
      'dir:' + '',
      'file:/state.json.tmp',
      'backup:/state.json.bak.tmp',
      'dir:' + '',
    ]);
    // first file sync happens before the document exists on disk
    expect(calls[0]!.endsWith(':0')).toBe(true);
  });

  it('serialises concurrent writes in call order without losing any', async () => {
    const store = await DurableJson.open({ path, schema, defaults });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.update((d) => void d.names.push(String(i)))),
    );
    await store.close();
    const saved = schema.parse(JSON.parse(readFileSync(path, 'utf8')));
    expect(saved.names).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('refuses an invalid document before writing it', async () => {
    const store = await DurableJson.open({ path, schema, defaults });
    await store.update(() => ({ counter: 1, names: [] }));
    const e = await codeOf(store.update(() => ({ counter: 1.5, names: [] })));
    expect(e.code).toBe('DATA_INVALID');
    expect(e.message).toContain(path);
    await store.update((d) => void (d.counter += 1)); // the queue survives a failed write
    expect(store.data.counter).toBe(2);
    await store.close();
  });

  it('reports a corrupt file with the backup on offer, and restores from it explicitly', async () => {
    const store = await DurableJson.open({ path, schema, defaults });
    await store.update(() => ({ counter: 1, names: ['good'] }));
    await store.update(() => ({ counter: 2, names: ['newer'] }));
    await store.close();
    writeFileSync(path, '{"counter": 3, "names": [tru');
    const e = await codeOf(DurableJson.open({ path, schema, defaults }));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toContain(path);
    expect(e.message).toContain(`${path}.bak`);
    expect(e.message).toContain('restoreFromBackup');
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('{"counter": 3, "names": [tru'); // never silently reset

    const restored = await DurableJson.restoreFromBackup({ path, schema, defaults });
    expect(restored.data).toEqual({ counter: 1, names: ['good'] });
    await restored.close();
  });

  it('reports a schema mismatch as corruption and a missing backup clearly', async () => {
    writeFileSync(path, JSON.stringify({ counter: 'x', names: [] }));
    const e = await codeOf(DurableJson.open({ path, schema, defaults }));
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toContain('schema');
    expect(e.message).toContain('no backup');
    expect((await codeOf(DurableJson.restoreFromBackup({ path, schema, defaults }))).code).toBe(
      'STATE_CORRUPT',
    );
  });

  it('refuses a second writer while the first lives, and takes over the lock of a dead process', async () => {
    const first = await DurableJson.open({ path, schema, defaults });
    const e = await codeOf(DurableJson.open({ path, schema, defaults }));
    expect(e.code).toBe('LOCK_HELD');
    expect(e.message).toContain(`process ${process.pid}`);
    await first.close();

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(`${path}.lock`, dead.stdout);
    const second = await DurableJson.open({ path, schema, defaults });
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(String(process.pid));
    await second.close();
  });
});
