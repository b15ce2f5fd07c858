import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuantgateError } from '../../src/core/errors.ts';
import { activeVersionDir } from '../../src/models/index.ts';
import { versionProblem, writeActivePointer } from '../../src/retrain/index.ts';

const root = mkdtempSync(join(tmpdir(), 'qg-active-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function version(modelsDir: string, name: string): void {
  mkdirSync(join(modelsDir, '5m', name), { recursive: true });
  writeFileSync(join(modelsDir, '5m', name, 'manifest.json'), '{}');
}

function refused(modelsDir: string): QuantgateError {
  try {
    activeVersionDir(modelsDir, '5m');
  } catch (e) {
    expect(e).toBeInstanceOf(QuantgateError);
    return e as QuantgateError;
  }
  throw new Error('expected the pointer to be refused');
}

describe('the ACTIVE pointer names a version directory inside <modelsDir>/<tf>/ or nothing (#18 item 4)', () => {
  it('a pointer escaping the models directory is refused (it loaded a model from elsewhere before)', () => {
    const modelsDir = join(root, 'a', 'models');
    version(modelsDir, 'v1');
    // A complete-looking model outside the store.
    mkdirSync(join(root, 'elsewhere', 'model'), { recursive: true });
    writeFileSync(join(root, 'elsewhere', 'model', 'manifest.json'), '{}');
    writeFileSync(join(modelsDir, '5m', 'ACTIVE'), '../../../elsewhere/model\n');
    const e = refused(modelsDir);
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain(join(modelsDir, '5m', 'ACTIVE'));
    expect(e.message).toContain('not a version name');
  });

  it('refuses absolute paths, nested names, symlinks out of the store, files and incomplete directories', () => {
    const modelsDir = join(root, 'b', 'models');
    version(modelsDir, 'good');
    mkdirSync(join(root, 'b', 'outside'), { recursive: true });
    writeFileSync(join(root, 'b', 'outside', 'manifest.json'), '{}');
    symlinkSync(join(root, 'b', 'outside'), join(modelsDir, '5m', 'linked'));
    writeFileSync(join(modelsDir, '5m', 'afile'), 'x');
    mkdirSync(join(modelsDir, '5m', 'half'));
    for (const [v, why] of [
      [join(root, 'b', 'outside'), 'not a version name'],
      ['good/../good', 'not a version name'],
      ['..', 'not a version name'],
      ['linked', 'not a version directory'],
      ['afile', 'not a version directory'],
      ['half', 'no manifest.json'],
      ['missing', 'has no directory'],
    ] as const) {
      expect(versionProblem(modelsDir, '5m', v)).toContain(why);
      writeFileSync(join(modelsDir, '5m', 'ACTIVE'), `${v}\n`);
      expect(refused(modelsDir).message).toContain(why);
    }
    writeActivePointer(modelsDir, '5m', 'good');
    expect(activeVersionDir(modelsDir, '5m')).toBe(join(modelsDir, '5m', 'good'));
    expect(() => writeActivePointer(modelsDir, '5m', '../x')).toThrow(QuantgateError);
  });
});
