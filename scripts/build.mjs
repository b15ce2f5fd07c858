// `npm run build`: the compiled ESM + .d.ts a host imports (dist/), from a clean slate so a
// source file moved or deleted leaves no stale module behind. Plain Node: no tsx needed.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// Data files read at run time beside their module (tsc copies only code).
cpSync(new URL('../src/simulator/fixtures/', import.meta.url), new URL('simulator/fixtures/', dist), {
  recursive: true,
});
