import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cliLogger } from '../../../src/cli/run.ts';
import type { Config } from '../../../src/config/index.ts';
import { silentLogger, stderrOutput } from '../../../src/core/index.ts';
import { createAlertSink } from '../../../src/retrain/index.ts';
import { MINIMAL, each } from './probe.ts';
import type { ProbeGroup } from './probe.ts';

/** The command's logger (cliLogger, as every command builds it) writing one debug and one info line. */
export const loggingGroup: ProbeGroup = {
  base: MINIMAL,
  observe: each((c: Config) => {
    const out: string[] = [];
    stderrOutput.divert((s) => void out.push(s));
    try {
      const log = cliLogger(c);
      log.debug({ n: 1 }, 'a debug line');
      log.info({ n: 2 }, 'an info line');
    } finally {
      stderrOutput.divert(null);
    }
    // Shape, not time: JSON lines or readable text, and which messages made it.
    return out.map((l) => [
      l.trimStart().startsWith('{') ? 'json' : 'text',
      /debug line/.test(l) ? 'debug' : 'info',
    ]);
  }),
};

/** Stands for the probe's own webhook receiver in alerts.webhookUrl. */
export const HOOK_URL = 'http://hook.invalid/alerts';

/**
 * The alert sink (createAlertSink, from alerts.* as the retrain service passes them) raising one
 * info, one warning and one critical alert to a local webhook that answers after 400 ms:
 * how many were delivered and how many failed.
 */
export const alertsGroup: ProbeGroup = {
  base: MINIMAL,
  async observe(configs: readonly Config[]): Promise<unknown[]> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), 400));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    try {
      return await Promise.all(
        configs.map(async (c) => {
          const sink = createAlertSink({
            logger: silentLogger(),
            webhookUrl: c.alerts.webhookUrl === HOOK_URL ? url : c.alerts.webhookUrl,
            webhookTimeoutMs: c.alerts.webhookTimeoutMs,
            minSeverity: c.alerts.minSeverity,
          });
          for (const severity of ['info', 'warning', 'critical'] as const)
            sink.raise({ severity, code: 'KEY_PROBE', message: `a ${severity} alert` });
          await sink.flush();
          const s = sink.stats();
          return { delivered: s.delivered, failures: s.deliveryFailures, raised: s.raised };
        }),
      );
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  },
};
