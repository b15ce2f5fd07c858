import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { QuantgateError } from '../../core/errors.ts';
import { CONFIG_HELP, action, collect, configFromOptions } from '../run.ts';
import type { ControlClient, ControlStatus } from '../../control/index.ts';

interface ControlCliOptions {
  config?: string[];
  json?: boolean;
  all?: boolean;
}

/** The control API client for the configured host/port and the token from the environment. */
async function clientFor(config: Config): Promise<ControlClient> {
  // Loaded here, not at start-up: `quantgate --help` must not pay for fastify and the registry.
  const { ControlClient: Client, controlTokenFromEnv } = await import('../../control/index.ts');
  const host = config.control.host.includes(':') ? `[${config.control.host}]` : config.control.host;
  return new Client({ url: `http://${host}:${config.control.port}`, token: controlTokenFromEnv() });
}

const print = (text: string): void => void process.stdout.write(`${text}\n`);

/** One sub-command that talks to the running bot. */
function controlCommand(
  program: Command,
  name: string,
  description: string,
  run: (client: ControlClient, opts: ControlCliOptions, arg?: string) => Promise<void>,
  withArg = false,
): Command {
  const cmd = program.command(withArg ? `${name} [symbol]` : name).description(description);
  cmd
    .option('-c, --config <file>', CONFIG_HELP, collect)
    .option('--json', 'print the answer as JSON')
    .action(
      action(async (...args: unknown[]) => {
        const arg = withArg ? (args[0] as string | undefined) : undefined;
        const opts = (withArg ? args[1] : args[0]) as ControlCliOptions;
        const config = configFromOptions(opts);
        await run(await clientFor(config), opts, arg);
      }),
    );
  return cmd;
}

/**
 * `quantgate status | positions | pause | resume | close SYMBOL | close --all | reload-models`:
 * commands for a running bot, through its local control API (control.host / control.port, token
 * QUANTGATE_CONTROL_TOKEN). Exit 4 when no bot answers, 7 when it refuses the token.
 */
export function registerControl(program: Command): void {
  controlCommand(
    program,
    'status',
    'Ask the running bot: equity, positions, decisions, models, alerts, stream health',
    async (c, o) => {
      const r = await c.request('GET', '/api/status');
      print(
        o.json
          ? JSON.stringify(r.body, null, 2)
          : (await import('../../control/index.ts')).formatStatus(r.body as unknown as ControlStatus),
      );
    },
  );
  controlCommand(
    program,
    'positions',
    "The running bot's open positions with their take-profit and stop-loss",
    async (c, o) => {
      const r = await c.request('GET', '/api/positions');
      const { formatPositions } = await import('../../control/index.ts');
      print(
        o.json
          ? JSON.stringify(r.body, null, 2)
          : formatPositions(r.body as unknown as ControlStatus).join('\n'),
      );
    },
  );
  controlCommand(
    program,
    'pause',
    'Pause new entries of the running bot (exits, take-profit and stop-loss keep working)',
    async (c, o) => {
      const r = await c.request('POST', '/api/pause');
      print(
        o.json
          ? JSON.stringify(r.body)
          : 'paused: no new entries; exits, take-profit and stop-loss keep working',
      );
    },
  );
  controlCommand(
    program,
    'resume',
    'Resume new entries of the running bot (also lifts a risk halt)',
    async (c, o) => {
      const r = await c.request('POST', '/api/resume');
      print(o.json ? JSON.stringify(r.body) : 'resumed: new entries allowed again');
    },
  );
  controlCommand(
    program,
    'close',
    'Market-close one position (close BTC/USDT) or all (close --all) of the running bot, as a normal exit',
    async (c, o, symbol) => {
      if ((o.all === true) === (symbol !== undefined))
        throw new QuantgateError('USAGE', 'close: give one symbol (close BTC/USDT) or --all, not both');
      const r = await c.request('POST', '/api/close', o.all ? { all: true } : { symbol });
      const results = (r.body.results ?? []) as Array<{
        symbol: string;
        result: string;
        state?: string;
        clientOrderId?: string;
      }>;
      if (o.json) print(JSON.stringify(r.body));
      else if (results.length === 0) print('no open positions');
      else
        for (const x of results)
          print(
            x.result === 'sent'
              ? `${x.symbol}: market close sent (${x.state ?? '?'}, client id ${x.clientOrderId ?? '?'}); paper orders fill at the next candle's open`
              : `${x.symbol}: ${x.result.replace('_', ' ')}`,
          );
      if (r.status === 404) throw new QuantgateError('USAGE', `close: no open position for ${symbol}`);
      if (r.status !== 200) process.exitCode = 1;
    },
    true,
  ).option('--all', 'close every open position');
  controlCommand(
    program,
    'reload-models',
    'Make the running bot re-read the ACTIVE model pointers (hot swap at the next candle)',
    async (c, o) => {
      const r = await c.request('POST', '/api/reload-models');
      if (r.status !== 200) throw new QuantgateError('USAGE', `reload-models: ${String(r.body.error)}`);
      const changed = (r.body.changed ?? []) as string[];
      const after = (r.body.after ?? {}) as Record<string, string>;
      print(
        o.json
          ? JSON.stringify(r.body)
          : changed.length === 0
            ? `no ACTIVE pointer changed (${Object.entries(after)
                .map(([tf, v]) => `${tf} ${v}`)
                .join(', ')})`
            : `staged for the next candle: ${changed.map((tf) => `${tf} ${after[tf]}`).join(', ')}`,
      );
    },
  );
}
