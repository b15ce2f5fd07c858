/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (they compete
 * for the same 2 cores otherwise). Each writes bench/results/<name>.json; this prints a summary.
 * `npm run bench -- stream predict` runs only the named ones.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')))
  .sort();

const results: Array<{ name: string; status: number | null; seconds: number }> = [];
for (const f of files) {
  const t0 = performance.now();
  process.stdout.write(`\n## ${f}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${f}`], { stdio: 'inherit' });
  results.push({ name: f, status: r.status, seconds: (performance.now() - t0) / 1000 });
}
process.stdout.write('\n| bench | exit | seconds |\n|---|---|---|\n');
for (const r of results) process.stdout.write(`| ${r.name} | ${r.status} | ${r.seconds.toFixed(1)} |\n`);
process.exitCode = results.some((r) => r.status !== 0) ? 1 : 0;
