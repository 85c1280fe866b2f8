package stats

import (
	"fmt"
	"math"
	"sort"
)

// Wilson is the Wilson score interval for a proportion of k successes in
// n trials at the given confidence (0.95 for 95%). Unlike the textbook
// p ± z·se interval it stays within [0, 1] and does not collapse to a
// point at 0 or n successes: 10 of 10 passing gives 72.2%–100% at 95%.
func Wilson(k, n int, confidence float64) (lo, hi float64, err error) {
	if n <= 0 || k < 0 || k > n {
		return 0, 0, fmt.Errorf("stats: wilson: want 0 <= successes <= trials and trials > 0, got %d of %d", k, n)
	}
	if !(confidence > 0 && confidence < 1) {
		return 0, 0, fmt.Errorf("stats: wilson: confidence %v: want a value between 0 and 1, like 0.95", confidence)
	}
	z := NormalQuantile(1 - (1-confidence)/2)
	fn, p, z2 := float64(n), float64(k)/float64(n), z*z
	centre := (p + z2/(2*fn)) / (1 + z2/fn)
	half := z / (1 + z2/fn) * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	lo, hi = math.Max(0, centre-half), math.Min(1, centre+half)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi, nil
}

// Median is the middle value of xs, the mean of the two middle ones for an
// even count; NaN for no values. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sorted(xs)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// NearestRank is the q-quantile by the nearest-rank method (the value at
// rank ⌈q·n⌉, 1-based), the way the scorecard reports its p90: always a
// value that occurred. NaN for no values or q outside [0, 1].
func NearestRank(xs []float64, q float64) float64 {
	if len(xs) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	s := sorted(xs)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Interval is a confidence interval; Lo is -Inf or Hi +Inf when the sample
// is too small to bound that side at the confidence asked.
type Interval struct {
	Lo, Hi float64
	// Coverage is the interval's actual confidence, at least the one
	// asked for when both sides are bounded (order statistics give only
	// certain coverages).
	Coverage float64
}

// Bounded reports whether both ends of the interval are finite.
func (iv Interval) Bounded() bool { return !math.IsInf(iv.Lo, 0) && !math.IsInf(iv.Hi, 0) }

// QuantileInterval is the distribution-free confidence interval for the
// q-quantile (0.5 for the median, 0.9 for the p90) of the population xs
// was drawn from: the order statistics x(l) and x(u) such that the number
// B of values below the quantile, binomial(n, q), falls below l or at or
// above u with probability at most (1−confidence)/2 each. It assumes
// nothing of the distribution; the price is that small samples cannot
// bound a high quantile (10 values bound a p90 only from below at 95%).
func QuantileInterval(xs []float64, q, confidence float64) (Interval, error) {
	n := len(xs)
	if n == 0 {
		return Interval{}, fmt.Errorf("stats: quantile interval: no values")
	}
	if !(q > 0 && q < 1) || !(confidence > 0 && confidence < 1) {
		return Interval{}, fmt.Errorf("stats: quantile interval: q %v and confidence %v must be between 0 and 1", q, confidence)
	}
	s := sorted(xs)
	tail := (1 - confidence) / 2
	cdf := binomialCDF(n, q) // cdf[i] = P(B <= i)
	iv := Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
	below, above := 1.0, 1.0 // P(B < l), P(B >= u) for the chosen l, u
	// l: the largest rank with P(B < l) = P(B <= l-1) <= tail.
	for l := n; l >= 1; l-- {
		if cdf[l-1] <= tail {
			iv.Lo, below = s[l-1], cdf[l-1]
			break
		}
	}
	// u: the smallest rank with P(B >= u) = 1 - P(B <= u-1) <= tail.
	for u := 1; u <= n; u++ {
		if p := 1 - cdf[u-1]; p <= tail {
			iv.Hi, above = s[u-1], p
			break
		}
	}
	if math.IsInf(iv.Lo, 0) {
		below = 0
	}
	if math.IsInf(iv.Hi, 0) {
		above = 0
	}
	iv.Coverage = 1 - below - above
	return iv, nil
}

// binomialCDF returns P(B <= i) for i = 0..n, B ~ binomial(n, p).
func binomialCDF(n int, p float64) []float64 {
	out := make([]float64, n+1)
	var acc float64
	for i := 0; i <= n; i++ {
		acc += math.Exp(lchoose(n, i) + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
		out[i] = math.Min(acc, 1)
	}
	return out
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}
