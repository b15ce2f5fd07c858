/**
 * CLI start-up: wall time of `quantgate --help`, `quantgate backtest --help` and `quantgate
 * --version` for this checkout and, side by side, for an older commit (default 9d12e81, before
 * the commands loaded ccxt and tfjs lazily; QG_BENCH_OLD_COMMIT=<sha> to choose, `none` to skip).
 * The old commit is checked out in a temporary `git worktree` sharing this node_modules and
 * removed afterwards. Runs alternate old/new so both see the same machine load; the load average
 * is recorded beside the figures (they are not quiet-machine figures on a shared box).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const oldCommit = process.env.QG_BENCH_OLD_COMMIT ?? '9d12e81';
const runs = Number(process.env.QG_BENCH_RUNS ?? 5);
const cases: Array<{ name: string; args: string[] }> = [
  { name: '--help', args: ['--help'] },
  { name: 'backtest --help', args: ['backtest', '--help'] },
  { name: '--version', args: ['--version'] },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time of one CLI start, in ms; null when it exited non-zero (e.g. no --version in the old code). */
function timeRun(checkout: string, args: string[]): number | null {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(checkout, 'bin/quantgate.js'), ...args], {
    cwd: tmpdir(),
    encoding: 'utf8',
  });
  return r.status === 0 ? performance.now() - t0 : null;
}

function oldCheckout(): { dir: string; cleanup(): void } | null {
  if (oldCommit === 'none') return null;
  const dir = mkdtempSync(join(tmpdir(), 'qg-cli-bench-old-'));
  try {
    execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', dir, oldCommit], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`cli bench: cannot check out ${oldCommit}; measuring this checkout only\n`);
    return null;
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    cleanup: () => {
      execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const old = oldCheckout();
const loadBefore = loadavg();
const rows: Array<Record<string, unknown>> = [];
try {
  // One untimed start each: tsx's transform cache is warm for both, as it is for a user.
  timeRun(root, ['--help']);
  if (old) timeRun(old.dir, ['--help']);
  for (const c of cases) {
    const now: number[] = [];
    const before: number[] = [];
    for (let i = 0; i < runs; i++) {
      const o = old ? timeRun(old.dir, c.args) : null;
      if (o !== null) before.push(o);
      const n = timeRun(root, c.args);
      if (n !== null) now.push(n);
    }
    rows.push({
      command: c.name,
      oldMedianMs: before.length > 0 ? Math.round(median(before)) : null,
      oldMinMs: before.length > 0 ? Math.round(Math.min(...before)) : null,
      newMedianMs: now.length > 0 ? Math.round(median(now)) : null,
      newMinMs: now.length > 0 ? Math.round(Math.min(...now)) : null,
      runs,
    });
  }
} finally {
  old?.cleanup();
}
const loadAfter = loadavg();

const out = {
  bench: 'cli',
  oldCommit: old ? oldCommit : null,
  loadAverage: { before: loadBefore.map((x) => +x.toFixed(2)), after: loadAfter.map((x) => +x.toFixed(2)) },
  rows,
};
const resultsDir = join(root, 'bench/results');
if (!existsSync(resultsDir)) mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'cli.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(
  `load average (1/5/15 min) before ${out.loadAverage.before.join(' ')}, after ${out.loadAverage.after.join(' ')}\n`,
);
process.stdout.write(`| command | old ${oldCommit} median (min) ms | new median (min) ms |\n|---|---|---|\n`);
for (const r of rows)
  process.stdout.write(
    `| ${String(r.command)} | ${r.oldMedianMs ?? '-'} (${r.oldMinMs ?? '-'}) | ${r.newMedianMs ?? '-'} (${r.newMinMs ?? '-'}) |\n`,
  );
