import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a host gets it: built, packed with `npm pack`, unpacked into a scratch project
 * outside the repo, imported by its name from plain Node (no tsx, no sources) and type-checked by
 * tsc against its `.d.ts`. Offline and fast: the tarball is unpacked the way npm installs one
 * (`package/` → `node_modules/quantgate`) and each dependency it declares is a symlink to the
 * repo's installed copy (same lockfile versions), so no registry or cache is asked and the repo's
 * node_modules is only read. tsx is deliberately not linked: a host must not need it.
 */

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const repoModules = realpathSync(join(repo, 'node_modules'));
const hasNpm = spawnSync('npm', ['--version'], { stdio: 'ignore' }).status === 0;
const hasTar = spawnSync('tar', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasNpm || !hasTar)
  console.warn(`pack-install test skipped: ${hasNpm ? '' : 'npm '}${hasTar ? '' : 'tar '}not on PATH`);

/** Plain Node: no inherited loader options (tsx, vitest) reach the host. */
const plainEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
};

interface PackedManifest {
  readonly name: string;
  readonly dependencies: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly exports: Record<string, unknown>;
}

function linkDependency(modules: string, name: string): boolean {
  const target = join(repoModules, name);
  if (!existsSync(target)) return false;
  const at = join(modules, name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
  return true;
}

/** The host: every export imported by name, the plugin built from the shipped config and fed real candles. */
const HOST_JS = String.raw`
import { readFileSync } from 'node:fs';
import * as root from 'quantgate';
import * as strategy from 'quantgate/strategy';
import * as adapters from 'quantgate/adapters';
import * as config from 'quantgate/config';
import * as core from 'quantgate/core';
import * as contract from 'quantgate/contract';

const out = { exports: {}, errors: {} };
for (const [name, m] of Object.entries({ root, strategy, adapters, config, core, contract })) out.exports[name] = Object.keys(m).sort();

async function code(f) {
  try { await f(); return 'resolved'; } catch (e) { return e.code ?? String(e); }
}
out.errors.deepImport = await code(() => import('quantgate/dist/runtime/index.js'));
out.errors.tsx = await code(() => import('tsx'));

const cfg = root.loadConfigSources({ env: {} });
out.defaultConfig = root.DEFAULT_CONFIG_PATH;
const logger = root.createLogger({ level: 'silent' });
out.backend = (await root.initBackend({ logger })).name;
const plugin = root.createQuantgatePlugin(cfg);
const decisions = new root.DecisionRecorder(logger);
const account = { equity: () => 1000, position: () => null, hasPending: () => false };
await plugin.init({ config: cfg, logger, models: new root.ModelSet(logger), account, decisions });
const rows = readFileSync(process.argv[2], 'utf8').trim().split('\n').slice(1, 401);
let signals = 0;
for (const row of rows) {
  const [timestamp, open, high, low, close, volume] = row.split(',').map(Number);
  const candle = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', timestamp, open, high, low, close, volume };
  if ((await plugin.onCandle(candle)) !== null) signals++;
}
out.plugin = { name: plugin.name, timeframes: plugin.timeframes, candles: rows.length, signals, decisions: decisions.counts() };
out.snapshot = JSON.parse(JSON.stringify(plugin.snapshot())) !== null;
await plugin.dispose();

// The plugin passes the contract's shape check, and a host written here against the package alone
// (paper fills at the decision candle's close) passes the contract kit, run in plain Node.
out.checked = root.checkPlugin(root.createQuantgatePlugin(cfg), 'scratch host') !== null;
const paperHost = {
  name: 'scratch paper host',
  hooks: ['init', 'warm', 'onCandle', 'beforeOpen', 'onOrderUpdate', 'dispose'],
  async run({ plugin, candles }) {
    const positions = new Map();
    let orders = 0;
    const account = { equity: () => 10_000, position: (s) => positions.get(s) ?? null, hasPending: () => false };
    await plugin.init({ config: cfg, logger, models: new root.ModelSet(logger), account, decisions });
    for (const { candle, warmup } of candles) {
      if (warmup) { await plugin.warm(candle); continue; }
      const s = await plugin.onCandle(candle);
      if (!s) continue;
      const fill = (kind, quantity) => plugin.onOrderUpdate({
        symbol: s.symbol, kind, status: 'filled', direction: 'long', price: candle.close, quantity,
        timestamp: candle.timestamp, clientOrderId: 'scratch-' + ++orders, reason: kind === 'entry' ? 'open' : 'signal_close',
      });
      const pos = positions.get(s.symbol);
      if (s.action === 'close') {
        if (pos) { positions.delete(s.symbol); fill('exit', pos.quantity); }
        continue;
      }
      if (pos || s.direction !== 'long' || plugin.beforeOpen(s, s.size)) continue;
      positions.set(s.symbol, { direction: 'long', quantity: s.size, entryPrice: candle.close, entryTime: candle.timestamp });
      fill('entry', s.size);
    }
    await plugin.dispose();
  },
};
const report = await contract.runContractKit(paperHost);
out.contract = { sessions: report.sessions, checked: report.checked.length, skipped: report.skipped };

// A worker of the compiled package (the retrain data check) runs its .js entry without tsx.
const { inspectInWorker } = await import(new URL('./node_modules/quantgate/dist/retrain/inspect-in-worker.js', import.meta.url).href);
const data = await inspectInWorker(
  { dataDir: process.argv[3], exchange: 'binance', timeframe: '1h', symbols: ['BTC/USDT'], skipBadRows: false,
    now: Date.UTC(2021, 6, 18), dataQuality: cfg.retrain.dataQuality, holdoutFraction: cfg.retrain.holdoutFraction },
  { memoryMb: 256, timeoutMs: 60_000 },
);
out.worker = data.quality.series.map((s) => ({ symbol: s.symbol, candles: s.candles }));
process.stdout.write(JSON.stringify(out));
`;

/** The host's TypeScript: the .d.ts must resolve, and a wrong use must be a type error (not \`any\`). */
const HOST_TS = `
import { activeVersionDir, createLogger, createQuantgatePlugin, DecisionRecorder, initBackend,
  loadConfigSources, loadForecaster, ModelSet } from 'quantgate';
import type { AccountView, ClosedCandle, Forecaster, ModelTimeframe, Signal, StrategyPlugin } from 'quantgate';
import { quantgateDebutPlugin } from 'quantgate/adapters';
import type { QuantgateDebutPlugin } from 'quantgate/adapters';
import { QuantileStrategy } from 'quantgate/strategy';
import { configSchema } from 'quantgate/config';
import { QuantgateError } from 'quantgate/core';
// @ts-expect-error internals are not exported
import type { Runtime } from 'quantgate/dist/runtime/index.js';

// The README's host example, as written there.
export async function host(closedCandle: ClosedCandle, myEquity: () => number): Promise<Signal | null> {
  const config = loadConfigSources({ files: ['my.yaml'] }); // the shipped defaults ← my.yaml ← env
  const logger = createLogger();
  await initBackend({ logger }); // tfjs-node when it loads, else wasm
  const loaded: Partial<Record<ModelTimeframe, Forecaster>> = {};
  for (const tf of config.strategy.timeframes) {
    const dir = activeVersionDir(config.data.modelsDir, tf); // models/<tf>/ACTIVE (\`quantgate train\`)
    if (dir) loaded[tf] = await loadForecaster(dir, { timeframe: tf });
  }
  const account: AccountView = { equity: () => myEquity(), position: () => null, hasPending: () => false };
  const plugin: StrategyPlugin = createQuantgatePlugin(config);
  await plugin.init?.({ config, logger, models: new ModelSet(logger, loaded), account,
    decisions: new DecisionRecorder(logger) });
  const signal: Signal | null = await plugin.onCandle(closedCandle); // each closed candle, in order
  await plugin.dispose?.();
  // @ts-expect-error the factory takes a parsed Config
  createQuantgatePlugin({ strategy: 1 });
  // @ts-expect-error a plugin's name is a string
  const n: number = plugin.name;
  return n > 0 ? signal : null;
}
const act = (s: Signal): string => (s.action === 'open' ? s.direction : 'close');
const adapter: typeof quantgateDebutPlugin = quantgateDebutPlugin;
export type { QuantgateDebutPlugin, Runtime };
export { act, adapter, QuantileStrategy, configSchema, QuantgateError };
`;

describe.skipIf(!hasNpm || !hasTar)('the packed package in a host', () => {
  let work = '';
  let host = '';
  let manifest: PackedManifest;
  let files: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'qg-pack-'));
    await run('npm', ['run', '--silent', 'build'], { cwd: repo });
    // Built just above: prepack would build a second time.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: repo,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info.files.map((f) => f.path);
    host = join(work, 'host');
    const modules = join(host, 'node_modules');
    const pkgDir = join(modules, 'quantgate');
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify({ name: 'host', private: true, type: 'module' }),
    );
    await run('tar', ['-xzf', join(work, info.filename), '-C', pkgDir, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackedManifest;
    for (const name of Object.keys(manifest.dependencies))
      if (name !== 'tsx' && !linkDependency(modules, name))
        throw new Error(`${name} is not installed in the repo`);
    for (const name of Object.keys(manifest.optionalDependencies ?? {})) linkDependency(modules, name);
    // The host's own dev dependencies for tsc: Node's types, and Debut's for the adapter's types.
    for (const name of ['@types/node', '@debut/types']) linkDependency(modules, name);
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the compiled package, its config and docs, and no sources or tests', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/retrain/inspect-worker.js');
    expect(files).toContain('config/default.yaml');
    expect(files).toContain('bin/quantgate.js');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
  });

  it('imports, builds and runs the plugin from the package name in plain Node, worker included', async () => {
    writeFileSync(join(host, 'host.mjs'), HOST_JS);
    const candles = join(repo, 'test/fixtures/candles');
    const { stdout } = await run(
      process.execPath,
      ['host.mjs', join(candles, 'binance/5m/BTCUSDT.csv'), candles],
      {
        cwd: host,
        env: plainEnv(),
      },
    );
    const out = JSON.parse(stdout) as {
      exports: Record<string, string[]>;
      errors: Record<string, string>;
      defaultConfig: string;
      backend: string;
      plugin: { name: string; timeframes: string[]; candles: number; decisions: Record<string, number> };
      snapshot: boolean;
      worker: Array<{ symbol: string; candles: number }>;
      checked: boolean;
      contract: { sessions: number; checked: number; skipped: string[] };
    };
    expect(out.exports.root).toEqual(
      expect.arrayContaining(['createQuantgatePlugin', 'loadConfigSources', 'ModelSet', 'DecisionRecorder']),
    );
    expect(out.exports.adapters).toContain('quantgateDebutPlugin');
    expect(out.exports.strategy).toContain('QuantileStrategy');
    expect(out.exports.config).toContain('configSchema');
    expect(out.exports.core).toContain('QuantgateError');
    expect(out.exports.contract).toContain('runContractKit');
    expect(out.checked).toBe(true);
    // Every hook the scratch host declares was checked; only failures, restarts and the risk cap are not exercised.
    expect(out.contract.sessions).toBe(1);
    expect(out.contract.checked).toBeGreaterThanOrEqual(7);
    expect(out.contract.skipped.filter((x) => x.includes('not called by this host'))).toEqual([
      'restore (not called by this host)',
      'prepare (not called by this host)',
      'snapshot (not called by this host)',
      'modelVersions (not called by this host)',
    ]);
    expect(out.errors.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out.errors.tsx).toBe('ERR_MODULE_NOT_FOUND');
    // The defaults come from the installed package, not the repo.
    expect(realpathSync(out.defaultConfig)).toBe(
      realpathSync(join(host, 'node_modules/quantgate/config/default.yaml')),
    );
    expect(['wasm', 'tensorflow']).toContain(out.backend);
    expect(out.plugin.name).toBe('quantgate');
    expect(out.plugin.candles).toBe(400);
    expect(out.snapshot).toBe(true);
    expect(out.worker).toEqual([{ symbol: 'BTC/USDT', candles: 4742 }]);
  });

  it("runs the installed CLI from the compiled code (the bin's checkout path needs tsx, this one not)", async () => {
    const bin = join(host, 'node_modules/quantgate/bin/quantgate.js');
    const { stdout } = await run(process.execPath, [bin, '--version'], { cwd: host, env: plainEnv() });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
  });

  it('type-checks a host against the shipped .d.ts', async () => {
    writeFileSync(join(host, 'host.ts'), HOST_TS);
    writeFileSync(
      join(host, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['host.ts'],
      }),
    );
    const tsc = join(repoModules, 'typescript/bin/tsc');
    const r = await run(process.execPath, [tsc, '-p', host], { cwd: host }).catch(
      (e: { stdout?: string }) => ({ stdout: `tsc failed:\n${e.stdout ?? String(e)}` }),
    );
    expect(r.stdout).toBe('');
  });
});
