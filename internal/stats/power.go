package stats

import (
	"fmt"
	"math"
)

// MinN is the smallest n for which a two-sided exact test of n values
// against n (Fisher's test or the Mann-Whitney test) can reach p <= alpha
// at all: its most extreme split, all of one sample beyond all of the
// other, has p = 2 / C(2n, n). At α = 0.05 that is 4 a side.
func MinN(alpha float64) int {
	if !(alpha > 0 && alpha < 1) {
		return 0
	}
	for n := 1; ; n++ {
		if math.Log(2)-lchoose(2*n, n) <= math.Log(alpha) {
			return n
		}
	}
}

// TwoProportionsN is the sample size per group a two-sided comparison of
// two proportions needs to tell p1 from p2 at level alpha with the given
// power, by the usual normal approximation:
//
//	n = (z₁₋α/₂·√(2·p̄·(1−p̄)) + z_power·√(p1(1−p1) + p2(1−p2)))² / (p1−p2)²
//
// with p̄ their mean, rounded up, and never below MinN(alpha).
func TwoProportionsN(p1, p2, alpha, power float64) (int, error) {
	if err := checkLevels(alpha, power); err != nil {
		return 0, err
	}
	if !(p1 >= 0 && p1 <= 1 && p2 >= 0 && p2 <= 1) || p1 == p2 {
		return 0, fmt.Errorf("stats: two proportions: want two different proportions within [0, 1], got %v and %v", p1, p2)
	}
	za, zb := NormalQuantile(1-alpha/2), NormalQuantile(power)
	pbar := (p1 + p2) / 2
	num := za*math.Sqrt(2*pbar*(1-pbar)) + zb*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	n := num * num / ((p1 - p2) * (p1 - p2))
	return max(MinN(alpha), ceil(n)), nil
}

// RankTestN is the sample size per group the Mann-Whitney test needs to
// detect a shift of the given size between two samples whose values
// spread with standard deviation sd, at level alpha with the given power:
// the two-sample t-test's 2·(z₁₋α/₂ + z_power)²·sd²/shift², divided by the
// rank test's efficiency relative to it on normal data (3/π), rounded up
// and never below MinN(alpha). sd = 0 (values that never vary) needs only
// MinN(alpha).
func RankTestN(shift, sd, alpha, power float64) (int, error) {
	if err := checkLevels(alpha, power); err != nil {
		return 0, err
	}
	if !(shift > 0) || math.IsInf(shift, 0) || !(sd >= 0) || math.IsInf(sd, 0) {
		return 0, fmt.Errorf("stats: rank test size: want a positive shift and a finite spread, got %v and %v", shift, sd)
	}
	z := NormalQuantile(1-alpha/2) + NormalQuantile(power)
	n := 2 * z * z * sd * sd / (shift * shift) * math.Pi / 3
	return max(MinN(alpha), ceil(n)), nil
}

// PooledSD is the standard deviation within two samples, pooled: the
// square root of their summed squared deviations from their own means
// over n1+n2−2. NaN with fewer than three values in all.
func PooledSD(x, y []float64) float64 {
	if len(x)+len(y) < 3 {
		return math.NaN()
	}
	var ss float64
	for _, s := range [][]float64{x, y} {
		if len(s) == 0 {
			continue
		}
		var mean float64
		for _, v := range s {
			mean += v
		}
		mean /= float64(len(s))
		for _, v := range s {
			ss += (v - mean) * (v - mean)
		}
	}
	return math.Sqrt(ss / float64(len(x)+len(y)-2))
}

// RobustSD estimates the standard deviation within two samples from
// their median absolute deviations: 1.4826 times the median of every
// value's distance from its own sample's median, which is the standard
// deviation for normal data and is not inflated by a few outliers, as
// rank tests are not. 0 when most values are equal; NaN with fewer than
// three values in all.
func RobustSD(x, y []float64) float64 {
	if len(x)+len(y) < 3 {
		return math.NaN()
	}
	var dev []float64
	for _, s := range [][]float64{x, y} {
		if len(s) == 0 {
			continue
		}
		m := Median(s)
		for _, v := range s {
			dev = append(dev, math.Abs(v-m))
		}
	}
	return 1.4826 * Median(dev)
}

func checkLevels(alpha, power float64) error {
	if !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1) {
		return fmt.Errorf("stats: sample size: alpha %v and power %v must be between 0 and 1", alpha, power)
	}
	return nil
}

// ceil rounds up, forgiving the last bits of rounding (76.0000000001 is 76).
func ceil(f float64) int { return int(math.Ceil(f - 1e-9)) }
