import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { QuantgateError, describeError } from '../core/errors.ts';
import { SecretRedactor, webhookSecretValues } from '../core/secrets.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { addAlert } from './registry-ops.ts';
import type { AlertRecord, AlertSeverity } from './registry-schema.ts';
import { updateRegistry } from './registry-store.ts';

export interface AlertInput {
  severity: 'info' | 'warning' | 'critical';
  code: string;
  message: string;
  timeframe?: ModelTimeframe;
}

export interface AlertSink {
  /** Logs at once; registry and webhook delivery happen later. Never throws, never waits. */
  raise(a: AlertInput): void;
  /** Resolves when every alert raised so far is stored and delivered (or given up on). */
  flush(): Promise<void>;
}

export interface AlertSinkStats {
  readonly raised: number;
  readonly stored: number;
  readonly storeFailures: number;
  readonly delivered: number;
  readonly deliveryFailures: number;
  /** Webhook posts dropped because the queue was full (oldest first). */
  readonly webhookDropped: number;
  /** Registry appends dropped because the backlog was full (oldest first). */
  readonly registryDropped: number;
}

export interface StatsAlertSink extends AlertSink {
  stats(): AlertSinkStats;
}

export interface AlertSinkOptions {
  logger: Logger;
  /** `registry.json` to append alerts to; omitted → log (and webhook) only. */
  registryFile?: string;
  /** alerts.webhookUrl */
  webhookUrl?: string;
  /** alerts.webhookTimeoutMs (default 3000) */
  webhookTimeoutMs?: number;
  /** alerts.minSeverity: the lowest severity posted to the webhook (default warning). */
  minSeverity?: AlertSeverity;
  clock?: Clock;
  /** Webhook posts waiting at most (default 100); a slow endpoint must not grow memory without bound. */
  webhookQueueSize?: number;
  /** Registry appends waiting at most (default 1000). */
  registryBacklog?: number;
}

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export function severityAtLeast(s: AlertSeverity, min: AlertSeverity): boolean {
  return RANK[s] >= RANK[min];
}

/** The JSON body posted to the webhook. */
export interface WebhookPayload {
  readonly source: 'quantgate';
  readonly at: string;
  readonly severity: AlertSeverity;
  readonly code: string;
  readonly message: string;
  readonly timeframe: ModelTimeframe | null;
  /** Alerts dropped from the queue before this one (a slow endpoint missed them). */
  readonly droppedBefore: number;
}

/** Webhook URLs often carry a token in the path (Slack, Discord): logs show the origin only. */
function redactUrl(u: URL): string {
  return `${u.origin}/…`;
}

function parseWebhookUrl(raw: string | undefined): URL | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Never echo the value: a webhook URL is a credential.
    throw new QuantgateError(
      'CONFIG_INVALID',
      'alerts.webhookUrl: not a valid URL (value not shown: it is a credential)',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new QuantgateError(
      'CONFIG_INVALID',
      `alerts.webhookUrl: expected an http:// or https:// URL, got protocol "${u.protocol}"`,
    );
  return u;
}

/** Drops the oldest entries beyond `max`; returns how many were dropped. */
function trimOldest<T>(q: T[], max: number): number {
  const over = q.length - max;
  if (over <= 0) return 0;
  q.splice(0, over);
  return over;
}

async function post(url: URL, body: WebhookPayload, timeoutMs: number): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: ac.signal,
    });
    // Drain the body so the connection is released.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  } catch (e) {
    if (ac.signal.aborted)
      throw new Error(`no answer within ${timeoutMs} ms (alerts.webhookTimeoutMs)`, { cause: e });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Alerts go to three places: the log (synchronously), the registry (appended in the background,
 * one write at a time, batched) and optionally a webhook (a bounded queue posted one at a time
 * with a timeout). Trading code calls `raise` from hot paths, so nothing in it may wait or throw.
 */
export function createAlertSink(o: AlertSinkOptions): StatsAlertSink {
  const clock = o.clock ?? systemClock;
  const url = parseWebhookUrl(o.webhookUrl);
  // Node's fetch puts the whole URL (user, password, token) in its error text: scrub it here too,
  // not only in the logger, so no caller that passes the error on can leak it.
  const urlSecrets = new SecretRedactor(webhookSecretValues(o.webhookUrl));
  const scrub = (text: string): string => urlSecrets.redact(text);
  const timeoutMs = o.webhookTimeoutMs ?? 3000;
  const minSeverity = o.minSeverity ?? 'warning';
  const webhookMax = Math.max(1, o.webhookQueueSize ?? 100);
  const registryMax = Math.max(1, o.registryBacklog ?? 1000);
  const log = o.logger;

  const s = {
    raised: 0,
    stored: 0,
    storeFailures: 0,
    delivered: 0,
    deliveryFailures: 0,
    webhookDropped: 0,
    registryDropped: 0,
  };
  const toStore: AlertRecord[] = [];
  const toPost: WebhookPayload[] = [];
  let storing: Promise<void> | null = null;
  let posting: Promise<void> | null = null;
  let droppedSinceLastPost = 0;

  async function storeLoop(file: string): Promise<void> {
    while (toStore.length > 0) {
      const batch = toStore.splice(0, toStore.length);
      try {
        await updateRegistry(file, (reg) => {
          for (const a of batch) addAlert(reg, a);
        });
        s.stored += batch.length;
      } catch (e) {
        s.storeFailures += batch.length;
        log.error(
          { registry: file, alerts: batch.length, err: describeError(e) },
          'could not store alerts in the registry (they are in this log)',
        );
      }
    }
  }

  async function postLoop(u: URL): Promise<void> {
    for (let next = toPost.shift(); next !== undefined; next = toPost.shift()) {
      // Tell the receiver how many it missed since the last post.
      const p = { ...next, droppedBefore: droppedSinceLastPost };
      droppedSinceLastPost = 0;
      try {
        await post(u, p, timeoutMs);
        s.delivered++;
      } catch (e) {
        s.deliveryFailures++;
        log.warn(
          { webhook: redactUrl(u), code: p.code, err: scrub(describeError(e)) },
          'alert webhook delivery failed',
        );
      }
    }
  }

  function startStore(file: string): void {
    if (storing) return;
    storing = storeLoop(file).finally(() => {
      storing = null;
      // An alert raised while the last batch was being written may still be waiting.
      if (toStore.length > 0) startStore(file);
    });
  }

  function startPost(u: URL): void {
    if (posting) return;
    posting = postLoop(u).finally(() => {
      posting = null;
      if (toPost.length > 0) startPost(u);
    });
  }

  function logIt(a: AlertInput): void {
    const fields = { alert: a.code, severity: a.severity, timeframe: a.timeframe };
    if (a.severity === 'critical') log.error(fields, a.message);
    else if (a.severity === 'warning') log.warn(fields, a.message);
    else log.info(fields, a.message);
  }

  function raise(a: AlertInput): void {
    try {
      s.raised++;
      logIt(a);
      const at = new Date(clock.now()).toISOString();
      const rec: AlertRecord = {
        at,
        severity: a.severity,
        code: a.code,
        message: a.message,
        timeframe: a.timeframe ?? null,
      };
      if (o.registryFile !== undefined) {
        toStore.push(rec);
        s.registryDropped += trimOldest(toStore, registryMax);
        startStore(o.registryFile);
      }
      if (url && severityAtLeast(a.severity, minSeverity)) {
        toPost.push({ source: 'quantgate', ...rec, droppedBefore: 0 });
        const dropped = trimOldest(toPost, webhookMax);
        if (dropped > 0) {
          s.webhookDropped += dropped;
          droppedSinceLastPost += dropped;
          log.warn(
            { dropped, totalDropped: s.webhookDropped, queue: webhookMax },
            'alert webhook queue full: oldest alerts dropped (they are in the log and the registry)',
          );
        }
        startPost(url);
      }
    } catch (e) {
      // Last resort: an alert must never take trading down with it.
      try {
        log.error({ err: describeError(e), alert: a.code }, 'alert sink failed');
      } catch {
        /* nothing left to report to */
      }
    }
  }

  async function flush(): Promise<void> {
    while (storing !== null || posting !== null) await Promise.all([storing, posting]);
  }

  return { raise, flush, stats: () => ({ ...s }) };
}
