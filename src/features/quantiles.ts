/**
 * In-place selection (Hoare partition, median-of-three pivot): afterwards a[k] is the value that
 * would be at index k if a were sorted, with smaller-or-equal values left of it and larger-or-equal
 * right. O(n) expected, so robust statistics over 100k+ rows stay cheap.
 */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three into a[mid], as the pivot.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Smallest value in a[lo..hi]. */
function minOf(a: Float64Array, lo: number, hi: number): number {
  let m = a[lo];
  for (let i = lo + 1; i <= hi; i++) if (a[i] < m) m = a[i];
  return m;
}

/**
 * Linear-interpolated quantiles (the same definition as sorting and interpolating between ranks)
 * of finite values. Reorders `a`. `qs` must be ascending.
 */
export function quantiles(a: Float64Array, qs: readonly number[]): number[] {
  const n = a.length;
  if (n === 0) return qs.map(() => NaN);
  const out: number[] = [];
  let lo = 0;
  for (const q of qs) {
    const pos = (n - 1) * q;
    const k = Math.floor(pos);
    select(a, k, lo, n - 1);
    const v = a[k];
    const next = k + 1 < n ? minOf(a, k + 1, n - 1) : v;
    out.push(v + (next - v) * (pos - k));
    lo = k; // later (larger) quantiles lie at or right of k
  }
  return out;
}
