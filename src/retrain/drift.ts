import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelTimeframe } from '../core/types.ts';
import { binOf, featureEdgesOf } from '../models/index.ts';
import type { FeatureEdges } from '../models/index.ts';
import type { AlertSink } from './alerts.ts';

/** A bin's share below this counts as this (an empty bin would make PSI infinite). */
const PSI_FLOOR = 1e-4;

/** Population stability index Σ (a − e)·ln(a / e) over the bins; 0 = same distribution. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let s = 0;
  for (let b = 0; b < expected.length; b++) {
    const e = Math.max(PSI_FLOOR, expected[b]);
    const a = Math.max(PSI_FLOOR, actual[b] ?? 0);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

export interface FeaturePsi {
  readonly name: string;
  readonly psi: number;
}

export interface DriftReport {
  readonly timeframe: ModelTimeframe;
  /** false for a model saved without feature edges (trained before drift checks existed). */
  readonly enabled: boolean;
  /** Recent rows in the window. */
  readonly rows: number;
  /** Rows needed before PSI is computed (half of retrain.drift.windowRows). */
  readonly minRows: number;
  /** Per feature, largest first; empty while there are too few rows. */
  readonly features: readonly FeaturePsi[];
  readonly maxPsi: number | null;
  readonly maxFeature: string | null;
  readonly medianPsi: number | null;
  /** retrain.drift.statistic: which of the two is compared with the threshold. */
  readonly statistic: DriftStatistic;
  /** retrain.drift.psiThreshold */
  readonly threshold: number;
  readonly drifted: boolean;
}

export type DriftStatistic = 'median' | 'max';

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export type DriftOutcome =
  | { readonly action: 'none'; readonly report: DriftReport }
  | { readonly action: 'retrain-requested'; readonly report: DriftReport }
  /** Drifted, but the last retrain is less than retrain.drift.minHoursBetweenRetrains ago. */
  | { readonly action: 'rate-limited'; readonly report: DriftReport; readonly nextAllowedAt: number };

export interface DriftDetectorOptions {
  readonly timeframe: ModelTimeframe;
  /** The active model's training edges (featureEdgesOf(artifact.metrics)); null → drift check off. */
  readonly edges: FeatureEdges | null;
  /** retrain.drift.psiThreshold */
  readonly psiThreshold: number;
  /** retrain.drift.minHoursBetweenRetrains */
  readonly minHoursBetweenRetrains: number;
  /** retrain.drift.windowRows: recent feature rows (all symbols pooled) compared to the training edges. */
  readonly windowRows: number;
  /**
   * retrain.drift.statistic (default median). The max over features reacts to any one feature;
   * volatility features alone keep it above 0.25 almost always on real data (bench/drift.bench.ts).
   */
  readonly statistic?: DriftStatistic;
  /** Last retrain of this timeframe (ms), scheduled or early; the rate limit counts from it. */
  readonly lastRetrainAt?: number;
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly alerts?: AlertSink;
  /** Asks for an early retrain of the timeframe; errors are logged, never thrown. */
  readonly requestRetrain?: (tf: ModelTimeframe, report: DriftReport) => void | Promise<void>;
}

const HOUR = 3_600_000;

/**
 * The training edges saved in a model version directory (its metrics.json), or null when the model
 * predates them or the file is unreadable (the drift check is then off; loading the model itself
 * verifies its checksums).
 */
export function readFeatureEdges(modelDir: string, logger?: Logger): FeatureEdges | null {
  const p = join(modelDir, 'metrics.json');
  if (!existsSync(p)) return null;
  try {
    return featureEdgesOf(JSON.parse(readFileSync(p, 'utf8')));
  } catch (e) {
    logger?.warn({ file: p, err: describeError(e) }, 'drift check: cannot read the feature edges');
    return null;
  }
}

/**
 * Feature drift of one timeframe: the bins of recent live feature rows against the training
 * deciles saved with the active model. Strong drift asks for an early retrain, at most once per
 * retrain.drift.minHoursBetweenRetrains, with a warning alert.
 */
export class DriftDetector {
  readonly timeframe: ModelTimeframe;
  private readonly o: DriftDetectorOptions;
  private readonly clock: Clock;
  private readonly statistic: DriftStatistic;
  private edges: FeatureEdges | null = null;
  /** Ring of bin indices: row r occupies [r·w, (r+1)·w). */
  private bins = new Uint16Array(0);
  private next = 0;
  private count = 0;
  private lastRetrainAt: number;
  private rateLimitAlerted = false;
  private mismatchLogged = false;

  constructor(o: DriftDetectorOptions) {
    this.o = o;
    this.timeframe = o.timeframe;
    this.clock = o.clock ?? systemClock;
    this.statistic = o.statistic ?? 'median';
    this.lastRetrainAt = o.lastRetrainAt ?? -Infinity;
    this.setEdges(o.edges);
  }

  /** For a newly active model (its own training distribution): the recent window starts empty. */
  setEdges(edges: FeatureEdges | null): void {
    this.edges = edges;
    this.next = 0;
    this.count = 0;
    this.mismatchLogged = false;
    this.bins = new Uint16Array(edges ? this.o.windowRows * edges.names.length : 0);
    if (!edges)
      this.o.logger.info(
        { timeframe: this.timeframe },
        'drift check off: the active model was saved without feature edges (retrain it to enable)',
      );
  }

  /** A retrain happened (scheduled or early): the rate limit counts from now. */
  noteRetrain(at = this.clock.now()): void {
    this.lastRetrainAt = at;
    this.rateLimitAlerted = false;
  }

  /** One live feature row in the model's feature order; rows with a non-finite value are skipped. */
  observe(row: ArrayLike<number>): void {
    const e = this.edges;
    if (!e) return;
    const w = e.names.length;
    if (row.length !== w) {
      if (!this.mismatchLogged)
        this.o.logger.warn(
          { timeframe: this.timeframe, expected: w, got: row.length },
          'drift check: a live feature row does not match the model feature list; such rows are ignored',
        );
      this.mismatchLogged = true;
      return;
    }
    for (let j = 0; j < w; j++) if (!Number.isFinite(row[j])) return;
    const base = this.next * w;
    for (let j = 0; j < w; j++) this.bins[base + j] = binOf(e.edges[j], row[j]);
    this.next = (this.next + 1) % this.o.windowRows;
    this.count = Math.min(this.count + 1, this.o.windowRows);
  }

  /** A model input window (rows × features, oldest first): its newest row is the live feature row. */
  observeWindow(window: ArrayLike<number>): void {
    const e = this.edges;
    if (!e) return;
    const w = e.names.length;
    if (window.length < w || window.length % w !== 0) return this.observe(window);
    const row: number[] = [];
    for (let j = window.length - w; j < window.length; j++) row.push(window[j]);
    this.observe(row);
  }

  check(): DriftReport {
    const minRows = Math.max(1, Math.ceil(this.o.windowRows / 2));
    const base = {
      timeframe: this.timeframe,
      rows: this.count,
      minRows,
      statistic: this.statistic,
      threshold: this.o.psiThreshold,
    };
    const e = this.edges;
    if (!e || this.count < minRows)
      return {
        ...base,
        enabled: e !== null,
        features: [],
        maxPsi: null,
        maxFeature: null,
        medianPsi: null,
        drifted: false,
      };
    const w = e.names.length;
    const features: FeaturePsi[] = e.names.map((name, j) => {
      const counts = new Array<number>(e.fractions[j].length).fill(0);
      for (let r = 0; r < this.count; r++) counts[this.bins[r * w + j]]++;
      return {
        name,
        psi: psi(
          e.fractions[j],
          counts.map((c) => c / this.count),
        ),
      };
    });
    features.sort((a, b) => b.psi - a.psi);
    const top = features[0];
    const medianPsi = median(features.map((x) => x.psi));
    const value = this.statistic === 'max' ? (top?.psi ?? null) : medianPsi;
    return {
      ...base,
      enabled: true,
      features,
      maxPsi: top?.psi ?? null,
      maxFeature: top?.name ?? null,
      medianPsi,
      drifted: value !== null && value > this.o.psiThreshold,
    };
  }

  /** check() plus the early-retrain request and alert when drift is strong. Never throws. */
  evaluate(): DriftOutcome {
    const report = this.check();
    if (!report.drifted) {
      this.rateLimitAlerted = false;
      return { action: 'none', report };
    }
    const now = this.clock.now();
    const nextAllowedAt = this.lastRetrainAt + this.o.minHoursBetweenRetrains * HOUR;
    const top = report.features
      .slice(0, 3)
      .map((f) => `${f.name} ${f.psi.toFixed(3)}`)
      .join(', ');
    const value = report.statistic === 'max' ? report.maxPsi : report.medianPsi;
    const what = `${this.timeframe} feature drift over the last ${report.rows} rows: ${report.statistic} PSI ${value?.toFixed(3)} > retrain.drift.psiThreshold ${this.o.psiThreshold} (retrain.drift.statistic ${report.statistic}); largest ${top}`;
    if (now < nextAllowedAt) {
      if (!this.rateLimitAlerted)
        this.o.alerts?.raise({
          severity: 'warning',
          code: 'FEATURE_DRIFT',
          timeframe: this.timeframe,
          message: `${what}; early retrain held back until ${new Date(nextAllowedAt).toISOString()} (retrain.drift.minHoursBetweenRetrains ${this.o.minHoursBetweenRetrains})`,
        });
      this.rateLimitAlerted = true;
      return { action: 'rate-limited', report, nextAllowedAt };
    }
    this.noteRetrain(now);
    this.o.alerts?.raise({
      severity: 'warning',
      code: 'FEATURE_DRIFT',
      timeframe: this.timeframe,
      message: this.o.requestRetrain
        ? `${what}; early retrain requested`
        : `${what}; no early retrain (retraining is off)`,
    });
    this.request(report);
    return { action: 'retrain-requested', report };
  }

  private request(report: DriftReport): void {
    const fn = this.o.requestRetrain;
    if (!fn) return;
    const fail = (e: unknown) =>
      this.o.logger.error(
        { timeframe: this.timeframe, err: describeError(e) },
        'drift: the early retrain request failed',
      );
    try {
      void Promise.resolve(fn(this.timeframe, report)).catch(fail);
    } catch (e) {
      fail(e);
    }
  }
}
