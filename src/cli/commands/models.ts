import type { Command } from 'commander';
import { QuantgateError } from '../../core/errors.ts';
import type { ModelTimeframe } from '../../core/types.ts';
import type { ModelVersion } from '../../retrain/index.ts';
import { CONFIG_HELP, action, collect, configFromOptions } from '../run.ts';
import { modelStoreContext, registry } from '../model-store.ts';
import { parseModelTimeframe } from './train.ts';

interface ModelsCliOptions {
  timeframe?: string;
  config?: string[];
  json?: boolean;
}

const context = modelStoreContext;

function tfOption(opts: ModelsCliOptions): ModelTimeframe | undefined {
  return opts.timeframe === undefined ? undefined : parseModelTimeframe(opts.timeframe);
}

function requireTf(opts: ModelsCliOptions, cmd: string): ModelTimeframe {
  const tf = tfOption(opts);
  if (tf === undefined)
    throw new QuantgateError('USAGE', `models ${cmd}: --timeframe is required (5m, 1h, 12h or 1d)`);
  return tf;
}

function fmt(x: unknown): string {
  return typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(3)) : '-';
}

function table(vs: readonly ModelVersion[]): string {
  const rows = [['timeframe', 'version', 'status', 'created', 'gate', 'sharpe', 'coverage']];
  for (const v of vs) {
    const cand = (v.gate?.figures.candidate ?? {}) as Record<string, unknown>;
    rows.push([
      v.timeframe,
      v.version,
      v.purged ? `${v.status} (purged)` : v.status,
      v.createdAt.slice(0, 16),
      v.gate === null ? '-' : v.gate.passed ? 'pass' : 'FAIL',
      fmt(cand.sharpe),
      fmt(cand.bandCoverage),
    ]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

const withCommon = (c: Command): Command =>
  c.option('-c, --config <file>', CONFIG_HELP, collect).option('--json', 'print JSON on stdout');

/** `quantgate models list|show|promote|rollback`: the model registry, safe while the bot runs. */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('Model registry: list versions, show one, promote a version, roll back to the previous one');

  withCommon(models.command('list'))
    .description('List model versions (newest first), registering directories trained outside the registry')
    .option('-t, --timeframe <tf>', 'only this timeframe')
    .action(
      action(async (opts: ModelsCliOptions) => {
        const config = configFromOptions(opts);
        const reg = await registry();
        const ctx = await context(config);
        await reg.syncFromDisk(ctx);
        const vs = reg.versionsOf(reg.readRegistry(ctx.registryPath), tfOption(opts));
        process.stdout.write(opts.json ? `${JSON.stringify(vs, null, 2)}\n` : `${table(vs)}\n`);
      }),
    );

  withCommon(models.command('show <version>'))
    .description(
      'Every stored field of one version: training window, data hash, seed, metrics, gate verdict, history',
    )
    .option('-t, --timeframe <tf>', 'timeframe (needed only if the name exists in several)')
    .action(
      action(async (version: string, opts: ModelsCliOptions) => {
        const config = configFromOptions(opts);
        const reg = await registry();
        const ctx = await context(config);
        await reg.syncFromDisk(ctx);
        const hits = reg
          .versionsOf(reg.readRegistry(ctx.registryPath), tfOption(opts))
          .filter((v) => v.version === version);
        if (hits.length === 0)
          throw new QuantgateError(
            'MODEL_MISSING',
            `models show: no version "${version}" in ${ctx.registryPath}`,
          );
        process.stdout.write(`${JSON.stringify(hits.length === 1 ? hits[0] : hits, null, 2)}\n`);
      }),
    );

  withCommon(models.command('promote <version>'))
    .description('Make a version active (artifact verified first); the running bot swaps between two candles')
    .requiredOption('-t, --timeframe <tf>', 'timeframe of the version')
    .action(
      action(async (version: string, opts: ModelsCliOptions) => {
        const config = configFromOptions(opts);
        const reg = await registry();
        const ctx = await context(config);
        const tf = requireTf(opts, 'promote');
        await reg.syncFromDisk(ctx);
        const purged = await reg.promoteVersion(
          ctx,
          tf,
          version,
          'promoted by hand (quantgate models promote)',
        );
        const out = { timeframe: tf, active: version, purged };
        process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : `${tf}: ${version} is active\n`);
      }),
    );

  withCommon(models.command('rollback'))
    .description('Return a timeframe to the version that was active before the current one')
    .requiredOption('-t, --timeframe <tf>', 'timeframe to roll back')
    .action(
      action(async (opts: ModelsCliOptions) => {
        const config = configFromOptions(opts);
        const reg = await registry();
        const ctx = await context(config);
        const tf = requireTf(opts, 'rollback');
        await reg.syncFromDisk(ctx);
        const r = await reg.rollbackActive(ctx, tf, 'rolled back by hand (quantgate models rollback)');
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ timeframe: tf, ...r })}\n`
            : `${tf}: rolled back ${r.from} → ${r.to}\n`,
        );
      }),
    );
}
