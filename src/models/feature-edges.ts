/**
 * Decile edges of every feature over the training rows, saved with the model (in metrics.json,
 * which the manifest checksums) so live monitoring can measure how far recent feature values have
 * moved from what the model was trained on (population stability index).
 */

export interface FeatureEdges {
  readonly version: 1;
  readonly names: string[];
  /**
   * Per feature, ascending distinct cut points; bin b holds values in (edges[b−1], edges[b]],
   * the first bin everything ≤ edges[0], the last everything > the last edge.
   */
  readonly edges: number[][];
  /** Per feature, the share of training rows in each bin (edges.length + 1 bins; ties make them uneven). */
  readonly fractions: number[][];
  /** Training rows the edges were fitted on. */
  readonly rows: number;
}

/** The bin of `v` for ascending `edges` (binary search). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Shares of `values` per bin of `edges`. */
export function binFractions(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binOf(edges, v)]++;
  return counts.map((c) => (values.length > 0 ? c / values.length : 0));
}

function quantileEdges(sorted: readonly number[], bins: number): number[] {
  const out: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = sorted[Math.max(0, Math.min(sorted.length - 1, Math.floor((b * sorted.length) / bins) - 1))];
    // Ties (flags, rounded values) collapse edges; a value at the top has no bin above it to use.
    if ((out.length === 0 || e > out[out.length - 1]) && e < sorted[sorted.length - 1]) out.push(e);
  }
  return out;
}

/** Fits edges on feature rows (each `names.length` long); non-finite values are skipped per column. */
export function fitFeatureEdges(
  names: readonly string[],
  rows: readonly ArrayLike<number>[],
  bins = 10,
): FeatureEdges {
  const edges: number[][] = [];
  const fractions: number[][] = [];
  for (let j = 0; j < names.length; j++) {
    const col: number[] = [];
    for (const r of rows) {
      const v = r[j];
      if (Number.isFinite(v)) col.push(v);
    }
    col.sort((a, b) => a - b);
    const e = col.length > 0 ? quantileEdges(col, bins) : [];
    edges.push(e);
    fractions.push(binFractions(e, col));
  }
  return { version: 1, names: [...names], edges, fractions, rows: rows.length };
}

/** Reads edges from a model's metrics.json blob; null for models trained before edges were saved. */
export function featureEdgesOf(metrics: unknown): FeatureEdges | null {
  if (typeof metrics !== 'object' || metrics === null) return null;
  const fe = (metrics as Record<string, unknown>).featureEdges;
  if (typeof fe !== 'object' || fe === null) return null;
  const o = fe as Record<string, unknown>;
  const okNums = (a: unknown): a is number[][] =>
    Array.isArray(a) && a.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'));
  if (
    o.version !== 1 ||
    !Array.isArray(o.names) ||
    !o.names.every((n) => typeof n === 'string') ||
    !okNums(o.edges) ||
    !okNums(o.fractions) ||
    o.edges.length !== o.names.length ||
    o.fractions.length !== o.names.length ||
    typeof o.rows !== 'number'
  )
    return null;
  return fe as FeatureEdges;
}
