package stats

import (
	"math"
	"sort"
)

// Holm adjusts p-values for testing them all at once (Holm's step-down
// method): sorted ascending, the i-th smallest (from 0) is multiplied by
// m−i, each adjusted value is at least the one before it, and none exceeds
// 1. Rejecting every hypothesis whose adjusted p-value is below α keeps
// the chance of any false rejection at most α, whatever the dependence
// between the tests. The result is in the order of p; NaN counts as 1.
func Holm(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	val := func(i int) float64 {
		if math.IsNaN(p[i]) {
			return 1
		}
		return p[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return val(order[a]) < val(order[b]) })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = math.Max(running, math.Min(1, float64(m-rank)*val(i)))
		out[i] = running
	}
	return out
}

// Tarone picks which discrete tests a multiple-comparison correction
// should count (Tarone, 1990). A discrete test on little data may be
// unable to reach a small p-value whatever the data say (Fisher's test
// of 0 of 5 against 0 of 5, a rank test of 3 values against 3); counting
// it only makes the others harder to pass. Given each test's smallest
// attainable p-value, Tarone finds the smallest k such that at most k
// tests can reach α/k, and keeps those. The family-wise error stays at
// most α: the tests left out could not have rejected.
func Tarone(pmin []float64, alpha float64) []bool {
	keep := make([]bool, len(pmin))
	for k := 1; k <= len(pmin); k++ {
		n := 0
		for _, p := range pmin {
			if p <= alpha/float64(k) {
				n++
			}
		}
		if n <= k {
			for i, p := range pmin {
				keep[i] = p <= alpha/float64(k)
			}
			return keep
		}
	}
	return keep
}
