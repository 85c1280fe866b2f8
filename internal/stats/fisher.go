package stats

import (
	"fmt"
	"math"
)

// Test is the outcome of a two-sided two-sample test.
type Test struct {
	// P is the two-sided p-value.
	P float64 `json:"p"`
	// PMin is the smallest p-value the test could have given on data
	// like these (the same margins for Fisher's test; the same pooled
	// values for the rank test): the most extreme split of the pooled
	// data between the two samples. A test whose PMin exceeds the level
	// cannot reject at it whatever the split; Tarone uses this.
	PMin float64 `json:"p_min"`
}

// relTol is the relative tolerance under which two table probabilities
// count as equal, so that rounding never drops a table exactly as likely
// as the observed one from the two-sided sum.
const relTol = 1e-7

// FisherExact is Fisher's exact test of x1 successes out of n1 against x2
// out of n2: conditional on the margins, the number of successes in the
// first sample is hypergeometric, and the two-sided p-value sums the
// probabilities of every table no more likely than the observed one.
func FisherExact(x1, n1, x2, n2 int) (Test, error) {
	if n1 <= 0 || n2 <= 0 {
		return Test{}, fmt.Errorf("stats: fisher: both samples need at least one trial, got %d and %d", n1, n2)
	}
	if x1 < 0 || x1 > n1 || x2 < 0 || x2 > n2 {
		return Test{}, fmt.Errorf("stats: fisher: successes must be within 0..trials, got %d of %d and %d of %d", x1, n1, x2, n2)
	}
	n, k := n1+n2, x1+x2
	lo, hi := max(0, k-n2), min(k, n1)
	logf := func(x int) float64 { return lchoose(k, x) + lchoose(n-k, n1-x) - lchoose(n, n1) }
	pOf := func(x int) float64 {
		limit := logf(x) + math.Log1p(relTol)
		var p float64
		for y := lo; y <= hi; y++ {
			if l := logf(y); l <= limit {
				p += math.Exp(l)
			}
		}
		return math.Min(p, 1)
	}
	// The hypergeometric is unimodal: the least likely table, which has
	// the smallest p-value, is at one end of the support.
	extreme := lo
	if logf(hi) < logf(lo) {
		extreme = hi
	}
	return Test{P: pOf(x1), PMin: pOf(extreme)}, nil
}
