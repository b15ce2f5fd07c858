import { z } from 'zod';
import { MODEL_TIMEFRAMES } from '../core/types.ts';

/**
 * The model registry document (`<data.stateDir>/registry.json`). Every field is required and has
 * no zod default, so what is read is exactly what was written (the store validates both ways).
 */

export const VERSION_STATUSES = [
  'candidate',
  'shadow',
  'active',
  'retired',
  'rolled-back',
  'rejected',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const timeframe = z.enum(MODEL_TIMEFRAMES);
const iso = z.string();
const json = z.record(z.string(), z.unknown());

export const gateVerdictSchema = z.object({
  passed: z.boolean(),
  /** One line per failed rule, naming the figure, the threshold and the config key. */
  reasons: z.array(z.string()),
  /** Every figure the verdict was based on (candidate, active, thresholds). */
  figures: json,
  at: iso,
});
export type GateVerdict = z.infer<typeof gateVerdictSchema>;

export const statusChangeSchema = z.object({ at: iso, status: z.enum(VERSION_STATUSES), reason: z.string() });

export const modelVersionSchema = z.object({
  version: z.string().min(1),
  timeframe,
  /** The version that was active when this one was trained (null for the first). */
  parent: z.string().nullable(),
  status: z.enum(VERSION_STATUSES),
  createdAt: iso,
  updatedAt: iso,
  /** When it last became active (null if never). */
  promotedAt: iso.nullable(),
  trainingWindow: z.object({ from: iso, to: iso }).nullable(),
  dataHash: z.string().nullable(),
  seed: z.number().nullable(),
  metrics: json,
  gate: gateVerdictSchema.nullable(),
  /** True once its directory was deleted by the keep-last-K purge. */
  purged: z.boolean(),
  history: z.array(statusChangeSchema),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const alertSchema = z.object({
  at: iso,
  severity: z.enum(ALERT_SEVERITIES),
  code: z.string(),
  message: z.string(),
  timeframe: timeframe.nullable(),
});
export type AlertRecord = z.infer<typeof alertSchema>;

export const registrySchema = z.object({
  format: z.literal('quantgate-registry'),
  versions: z.array(modelVersionSchema),
  /** The most recent alerts (bounded, oldest dropped). */
  alerts: z.array(alertSchema),
  /** Per timeframe: no automatic promotion before this time (set by a rollback). */
  cooldownUntil: z.partialRecord(timeframe, iso),
});
export type Registry = z.infer<typeof registrySchema>;

export function emptyRegistry(): Registry {
  return { format: 'quantgate-registry', versions: [], alerts: [], cooldownUntil: {} };
}
