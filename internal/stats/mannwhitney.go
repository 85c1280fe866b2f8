package stats

import (
	"fmt"
	"math"
	"sort"
)

// ExactLimit is the largest pooled sample (n1 + n2) the Mann-Whitney test
// computes exactly; above it the normal approximation is used. The exact
// distribution costs about n1·N² steps, well under a millisecond at 50.
const ExactLimit = 50

// RankTest is the outcome of a Mann-Whitney U test.
type RankTest struct {
	Test
	// U counts the pairs (x, y) with x > y, ties counting one half; it
	// runs from 0 (every x below every y) to n1·n2, n1·n2/2 when neither
	// sample tends to be larger.
	U float64 `json:"u"`
	// Z is U standardised with the tie-corrected variance (no continuity
	// correction); positive when x tends to be larger.
	Z float64 `json:"z"`
	// Exact is true when P is the exact permutation p-value (with ties:
	// conditional on the pooled values), false for the normal approximation.
	Exact bool `json:"exact"`
}

// MannWhitney tests whether x and y come from distributions of which one
// tends to give larger values (the Wilcoxon rank-sum test). Ties get
// their mid-rank. With at most ExactLimit observations the p-value is
// exact: the share of all ways of splitting the pooled values into
// samples of these sizes whose rank sum lies at least as far from its
// mean as the observed one. Above that it uses the normal approximation
// with the tie-corrected variance and a continuity correction of one half.
func MannWhitney(x, y []float64) (RankTest, error) { return mannWhitney(x, y, ExactLimit) }

func mannWhitney(x, y []float64, exactLimit int) (RankTest, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return RankTest{}, fmt.Errorf("stats: mann-whitney: both samples need values, got %d and %d", n1, n2)
	}
	type obs struct {
		v float64
		x bool
	}
	all := make([]obs, 0, n1+n2)
	for _, s := range []struct {
		vs []float64
		x  bool
	}{{x, true}, {y, false}} {
		for _, v := range s.vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return RankTest{}, fmt.Errorf("stats: mann-whitney: %v is not a finite value", v)
			}
			all = append(all, obs{v, s.x})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := n1 + n2
	// Tie groups: sizes and doubled mid-ranks (2·midrank is an integer).
	var sizes, ranks2 []int
	w2 := 0 // doubled rank sum of x
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		t, r2 := j-i, 2*(i+1)+(j-i)-1
		sizes, ranks2 = append(sizes, t), append(ranks2, r2)
		for k := i; k < j; k++ {
			if all[k].x {
				w2 += r2
			}
		}
		i = j
	}
	u := float64(w2)/2 - float64(n1*(n1+1))/2
	mean := float64(n1*n2) / 2
	var ties float64
	for _, t := range sizes {
		ft := float64(t)
		ties += ft*ft*ft - ft
	}
	variance := float64(n1*n2) / 12 * (float64(n+1) - ties/float64(n*(n-1)))
	if n < 2 {
		variance = 0
	}
	res := RankTest{U: u}
	if variance > 0 {
		res.Z = (u - mean) / math.Sqrt(variance)
	}
	// The most extreme splits: x takes the n1 smallest, or the n1 largest.
	lowW2, highW2 := 0, 0
	for i := 0; i < n1; i++ {
		lowW2 += rankAt(sizes, ranks2, i)
		highW2 += rankAt(sizes, ranks2, n-1-i)
	}
	if n <= exactLimit {
		dist := rankSumDistribution(sizes, ranks2, n1)
		e2 := n1 * (n + 1) // doubled mean rank sum
		tail := func(obs int) float64 {
			d := abs(obs - e2)
			var p, total float64
			for s, c := range dist {
				total += c
				if abs(s-e2) >= d {
					p += c
				}
			}
			return math.Min(p/total, 1)
		}
		res.Exact, res.P = true, tail(w2)
		res.PMin = math.Min(tail(lowW2), tail(highW2))
		return res, nil
	}
	approx := func(w2 int) float64 {
		if variance <= 0 {
			return 1
		}
		d := float64(w2)/2 - float64(n1*(n1+1))/2 - mean
		cc := 0.5
		switch {
		case d < 0:
			cc = -0.5
		case d == 0:
			cc = 0
		}
		z := (d - cc) / math.Sqrt(variance)
		return math.Min(2*math.Min(NormalCDF(z), NormalCDF(-z)), 1)
	}
	res.P = approx(w2)
	res.PMin = math.Min(approx(lowW2), approx(highW2))
	return res, nil
}

// rankAt is the doubled mid-rank of the i-th smallest pooled value.
func rankAt(sizes, ranks2 []int, i int) int {
	for g, t := range sizes {
		if i < t {
			return ranks2[g]
		}
		i -= t
	}
	return 0
}

// rankSumDistribution counts, for every doubled rank sum s, the ways of
// choosing n1 of the pooled values whose doubled ranks add up to s: a
// knapsack over the tie groups, where taking j of a group of t values
// can happen in C(t, j) ways. Counts are float64: C(50, 25) ≈ 1.3e14 is
// well within its exact integers.
func rankSumDistribution(sizes, ranks2 []int, n1 int) []float64 {
	total := 0
	for g, t := range sizes {
		total += t * ranks2[g]
	}
	width := total + 1
	dp := make([]float64, (n1+1)*width)
	dp[0] = 1
	for g, t := range sizes {
		r := ranks2[g]
		binom := make([]float64, t+1)
		binom[0] = 1
		for j := 1; j <= t; j++ {
			binom[j] = binom[j-1] * float64(t-j+1) / float64(j)
		}
		for k := n1; k >= 1; k-- {
			row := dp[k*width : (k+1)*width]
			for j := 1; j <= min(t, k); j++ {
				from := dp[(k-j)*width : (k-j+1)*width]
				shift, c := j*r, binom[j]
				for s := shift; s < width; s++ {
					if from[s-shift] != 0 {
						row[s] += c * from[s-shift]
					}
				}
			}
		}
	}
	return dp[n1*width : (n1+1)*width]
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
