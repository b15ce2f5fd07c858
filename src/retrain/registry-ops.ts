import { QuantgateError } from '../core/errors.ts';
import type { ModelTimeframe } from '../core/types.ts';
import type { AlertRecord, GateVerdict, ModelVersion, Registry, VersionStatus } from './registry-schema.ts';

/** Pure edits of a registry document (the store applies them under its writer lock). */

/** Alerts kept in the registry; older ones stay in the log. */
export const MAX_ALERTS = 500;

export type NewVersion = Pick<
  ModelVersion,
  'version' | 'timeframe' | 'parent' | 'trainingWindow' | 'dataHash' | 'seed' | 'metrics'
> & { readonly status?: VersionStatus };

export function findVersion(reg: Registry, tf: ModelTimeframe, version: string): ModelVersion | undefined {
  return reg.versions.find((v) => v.timeframe === tf && v.version === version);
}

export function activeVersion(reg: Registry, tf: ModelTimeframe): ModelVersion | undefined {
  return reg.versions.find((v) => v.timeframe === tf && v.status === 'active');
}

export function versionsOf(reg: Registry, tf?: ModelTimeframe): ModelVersion[] {
  return reg.versions
    .filter((v) => tf === undefined || v.timeframe === tf)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

function requireVersion(reg: Registry, tf: ModelTimeframe, version: string): ModelVersion {
  const v = findVersion(reg, tf, version);
  if (!v)
    throw new QuantgateError(
      'MODEL_MISSING',
      `registry: no version "${version}" for timeframe ${tf} (see \`quantgate models list --timeframe ${tf}\`)`,
    );
  return v;
}

function setStatus(v: ModelVersion, status: VersionStatus, at: string, reason: string): void {
  v.status = status;
  v.updatedAt = at;
  v.history.push({ at, status, reason });
}

export function addVersion(reg: Registry, n: NewVersion, at: string): void {
  if (findVersion(reg, n.timeframe, n.version))
    throw new QuantgateError(
      'DATA_INVALID',
      `registry: version ${n.version} (${n.timeframe}) is already registered`,
    );
  const status = n.status ?? 'candidate';
  reg.versions.push({
    version: n.version,
    timeframe: n.timeframe,
    parent: n.parent,
    status,
    createdAt: at,
    updatedAt: at,
    promotedAt: status === 'active' ? at : null,
    trainingWindow: n.trainingWindow,
    dataHash: n.dataHash,
    seed: n.seed,
    metrics: n.metrics,
    gate: null,
    purged: false,
    history: [{ at, status, reason: 'registered' }],
  });
}

export function recordGate(reg: Registry, tf: ModelTimeframe, version: string, gate: GateVerdict): void {
  const v = requireVersion(reg, tf, version);
  v.gate = gate;
  v.updatedAt = gate.at;
  if (!gate.passed && v.status === 'candidate') setStatus(v, 'rejected', gate.at, gate.reasons.join('; '));
}

/** Makes `version` the active one of its timeframe; the previous active becomes retired. */
export function promote(
  reg: Registry,
  tf: ModelTimeframe,
  version: string,
  at: string,
  reason: string,
): void {
  const v = requireVersion(reg, tf, version);
  if (v.purged)
    throw new QuantgateError(
      'MODEL_MISSING',
      `registry: version ${version} (${tf}) was purged from disk; it cannot be promoted`,
    );
  if (v.status === 'active') return;
  const prev = activeVersion(reg, tf);
  if (prev) setStatus(prev, 'retired', at, `replaced by ${version}`);
  setStatus(v, 'active', at, reason);
  v.promotedAt = at;
}

/**
 * The version a rollback returns to: the most recently active retired one still on disk.
 * (A rolled-back or rejected version is never a target.)
 */
export function rollbackTarget(reg: Registry, tf: ModelTimeframe): ModelVersion | undefined {
  return reg.versions
    .filter((v) => v.timeframe === tf && v.status === 'retired' && !v.purged && v.promotedAt !== null)
    .sort((a, b) => ((a.promotedAt ?? '') < (b.promotedAt ?? '') ? 1 : -1))[0];
}

/** Active → rolled-back, the previous version → active, and a cool-down before the next automatic promotion. */
export function rollback(
  reg: Registry,
  tf: ModelTimeframe,
  at: string,
  reason: string,
  cooldownUntil: string,
): { from: string; to: string } {
  const cur = activeVersion(reg, tf);
  if (!cur)
    throw new QuantgateError('MODEL_MISSING', `registry: timeframe ${tf} has no active version to roll back`);
  const target = rollbackTarget(reg, tf);
  if (!target)
    throw new QuantgateError(
      'MODEL_MISSING',
      `registry: timeframe ${tf} has no earlier version on disk to roll back to (active is ${cur.version})`,
    );
  setStatus(cur, 'rolled-back', at, reason);
  setStatus(target, 'active', at, `rollback from ${cur.version}: ${reason}`);
  target.promotedAt = at;
  reg.cooldownUntil[tf] = cooldownUntil;
  return { from: cur.version, to: target.version };
}

/**
 * Keep the active version, every candidate / shadow in flight, and the `keep` newest others;
 * the rest are marked purged and returned so their directories can be deleted.
 */
export function purgeList(reg: Registry, tf: ModelTimeframe, keep: number, at: string): string[] {
  const others = versionsOf(reg, tf).filter(
    (v) => !v.purged && v.status !== 'active' && v.status !== 'candidate' && v.status !== 'shadow',
  );
  const out: string[] = [];
  for (const v of others.slice(keep)) {
    v.purged = true;
    v.updatedAt = at;
    v.history.push({ at, status: v.status, reason: `purged (beyond retrain.keepVersions = ${keep})` });
    out.push(v.version);
  }
  return out;
}

export function addAlert(reg: Registry, a: AlertRecord): void {
  reg.alerts.push(a);
  if (reg.alerts.length > MAX_ALERTS) reg.alerts.splice(0, reg.alerts.length - MAX_ALERTS);
}
