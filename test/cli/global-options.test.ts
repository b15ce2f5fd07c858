import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli } from '../support/cli.ts';

// Each start of the CLI costs seconds on a loaded 2-core machine: three spawns in all.
const dir = mkdtempSync(join(tmpdir(), 'qg-cli-global-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURES = join(REPO_ROOT, 'test/fixtures/candles');
const modelsDir = join(dir, 'no-models');
const backtestArgs = [
  'backtest',
  '--data-dir',
  FIXTURES,
  '--models-dir',
  modelsDir,
  '--symbols',
  'BTC/USDT,ETH/USDT',
  '--from',
  '2021-07-10',
  '--to',
  '2021-07-11',
];
const trainHint = `quantgate train --timeframes 5m,1h,12h,1d --symbols BTC/USDT,ETH/USDT --to 2021-07-10 --data-dir ${FIXTURES} --models-dir ${modelsDir}`;

/** Top-level keys as written in one JSON line (JSON.parse would hide a duplicate). */
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

describe('quantgate global options (child processes)', () => {
  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('on a pipe: JSON log lines without duplicate keys; missing models name the train command', () => {
    const r = runCli(['-v', ...backtestArgs], { timeoutMs: 90_000 });
    expect(r.status).toBe(5);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    const errorLine = lines.pop()!;
    expect(errorLine).toContain('error [MODEL_MISSING]: no trained model for 5m, 1h, 12h, 1d');
    expect(errorLine).toContain(trainHint);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const parsed = JSON.parse(l) as Record<string, unknown>;
      expect(rawTopLevelKeys(l)).toHaveLength(Object.keys(parsed).length);
    }
  }, 120_000);

  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'on a terminal (script(1) gives it a pseudo-TTY): readable lines, not JSON',
    () => {
      const cmd = [process.execPath, CLI, ...backtestArgs].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, TERM: 'dumb' },
      });
      const out = r.stdout.replace(/\r/g, '');
      expect(out).toContain('error [MODEL_MISSING]');
      const logLines = out.split('\n').filter((l) => l.includes('resampled from 1h'));
      expect(logLines.length).toBeGreaterThan(0);
      for (const l of logLines) {
        expect(l).toMatch(/WARN/);
        expect(l.trim().startsWith('{')).toBe(false);
      }
    },
    120_000,
  );
});
