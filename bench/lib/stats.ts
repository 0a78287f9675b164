/** Small statistics for benchmark figures: percentiles and a least-squares line. */

/** Percentile by linear interpolation between closest ranks (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
  };
}

export const median = (values: number[]): number => percentile(values, 50);

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope: the slope is "beyond noise" when well outside ±2 of these. */
  slopeStdErr: number;
  /** Standard deviation of the residuals (the noise around the line). */
  residualStd: number;
  r2: number;
}

/** Ordinary least squares of y on x. */
export function linearFit(xs: number[], ys: number[]): LinearFit {
  const n = xs.length;
  if (n < 3 || n !== ys.length) throw new Error(`a line needs 3 or more points (got ${n})`);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxx ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  const residualVariance = sse / (n - 2);
  return {
    slope,
    intercept,
    slopeStdErr: sxx ? Math.sqrt(residualVariance / sxx) : Number.POSITIVE_INFINITY,
    residualStd: Math.sqrt(residualVariance),
    r2: syy ? 1 - sse / syy : 0,
  };
}
