package stats

import (
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// Published values: R's fisher.test on its documentation's examples
// (Fisher's tea tasting, 3/4 against 1/4: p = 0.4857; Fisher's twin
// convictions, 2/17 against 10/13: p = 0.0005367 two-sided).
func TestFisherKnownValues(t *testing.T) {
	for _, c := range []struct {
		x1, n1, x2, n2 int
		p              float64
	}{
		{3, 4, 1, 4, 34.0 / 70},                // tea tasting
		{2, 17, 10, 13, 0.0005367241191434358}, // convictions
		{10, 10, 6, 10, 420.0 / 4845},          // pass rate 100% → 60% over 10 runs: not significant
		{20, 20, 12, 20, 0.003276003276003276}, // the same over 20 scenarios
		{2, 17, 2, 14, 1},                      // handoffs 0.12 → 0.14
		{0, 5, 0, 5, 1},
	} {
		got, err := FisherExact(c.x1, c.n1, c.x2, c.n2)
		require.NoError(t, err)
		require.InDelta(t, c.p, got.P, 1e-9*math.Max(c.p, 1e-3), "%d/%d vs %d/%d", c.x1, c.n1, c.x2, c.n2)
	}
	// The smallest p these margins allow: 4 successes in 8 trials split
	// 4/4 against 0/4 is 2/70.
	got, _ := FisherExact(3, 4, 1, 4)
	require.InDelta(t, 2.0/70, got.PMin, 1e-12)
	got, _ = FisherExact(0, 5, 0, 5)
	require.Equal(t, 1.0, got.PMin, "no success at all: nothing can be significant")
}

// TestFisherAgainstExactFractions compares every table with up to 7
// trials a side with the p-value computed in exact rational arithmetic.
func TestFisherAgainstExactFractions(t *testing.T) {
	for n1 := 1; n1 <= 7; n1++ {
		for n2 := 1; n2 <= 7; n2++ {
			for x1 := 0; x1 <= n1; x1++ {
				for x2 := 0; x2 <= n2; x2++ {
					want, wantMin := fisherRat(x1, n1, x2, n2)
					got, err := FisherExact(x1, n1, x2, n2)
					require.NoError(t, err)
					require.InDelta(t, want, got.P, 1e-9, "%d/%d vs %d/%d", x1, n1, x2, n2)
					require.InDelta(t, wantMin, got.PMin, 1e-9, "%d/%d vs %d/%d", x1, n1, x2, n2)
				}
			}
		}
	}
}

// fisherRat is the two-sided Fisher p-value and its minimum over the
// margins, by enumerating the tables as fractions.
func fisherRat(x1, n1, x2, n2 int) (float64, float64) {
	k := x1 + x2
	prob := func(x int) *big.Rat {
		num := new(big.Int).Mul(new(big.Int).Binomial(int64(k), int64(x)), new(big.Int).Binomial(int64(n1+n2-k), int64(n1-x)))
		return new(big.Rat).SetFrac(num, new(big.Int).Binomial(int64(n1+n2), int64(n1)))
	}
	pOf := func(obs int) float64 {
		sum := new(big.Rat)
		for x := max(0, k-n2); x <= min(k, n1); x++ {
			if prob(x).Cmp(prob(obs)) <= 0 {
				sum.Add(sum, prob(x))
			}
		}
		f, _ := sum.Float64()
		return f
	}
	pmin := 1.0
	for x := max(0, k-n2); x <= min(k, n1); x++ {
		pmin = math.Min(pmin, pOf(x))
	}
	return pOf(x1), pmin
}

func TestFisherBadInput(t *testing.T) {
	for _, c := range [][4]int{{0, 0, 1, 2}, {3, 2, 1, 2}, {-1, 2, 1, 2}, {1, 2, 1, -2}} {
		_, err := FisherExact(c[0], c[1], c[2], c[3])
		require.Error(t, err, "%v", c)
	}
}

// R's wilcox.test on its documentation's example (Hollander & Wolfe,
// p. 69): W = 35, one-sided p = 0.1272, so two-sided 0.2544.
func TestMannWhitneyKnownValue(t *testing.T) {
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	got, err := MannWhitney(x, y)
	require.NoError(t, err)
	require.True(t, got.Exact)
	require.Equal(t, 35.0, got.U)
	require.InDelta(t, 0.2544122544122544, got.P, 1e-12)
	require.InDelta(t, 2.0/3003, got.PMin, 1e-12, "C(15,5) = 3003 splits; the two extremes")
	rev, err := MannWhitney(y, x)
	require.NoError(t, err)
	require.Equal(t, 15.0, rev.U, "U(x) + U(y) = n1·n2")
	require.InDelta(t, got.P, rev.P, 1e-12)
	require.Greater(t, got.Z, 0.0, "x tends to be larger")
}

// TestMannWhitneyAgainstEnumeration checks the exact distribution, ties
// included, against enumerating every split of the pooled values.
func TestMannWhitneyAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n1, n2 := 1+rng.IntN(7), 1+rng.IntN(7)
		levels := 2 + rng.IntN(6) // few levels: many ties
		draw := func(n int) []float64 {
			out := make([]float64, n)
			for i := range out {
				out[i] = float64(rng.IntN(levels)) * 30
			}
			return out
		}
		x, y := draw(n1), draw(n2)
		got, err := MannWhitney(x, y)
		require.NoError(t, err)
		wantP, wantMin := enumerate(x, y)
		require.InDelta(t, wantP, got.P, 1e-9, "x=%v y=%v", x, y)
		require.InDelta(t, wantMin, got.PMin, 1e-9, "x=%v y=%v", x, y)
	}
}

// enumerate is the two-sided permutation p-value of the mid-rank sum of
// x and its smallest attainable value, by listing every subset.
func enumerate(x, y []float64) (float64, float64) {
	pooled := append(append([]float64(nil), x...), y...)
	n, n1 := len(pooled), len(x)
	s := append([]float64(nil), pooled...)
	sort.Float64s(s)
	mid := func(v float64) float64 {
		lo, hi := sort.SearchFloat64s(s, v), sort.SearchFloat64s(s, math.Nextafter(v, math.Inf(1)))
		return float64(lo+1+hi) / 2
	}
	var sums []float64
	var walk func(start int, left int, acc float64)
	walk = func(start, left int, acc float64) {
		if left == 0 {
			sums = append(sums, acc)
			return
		}
		for i := start; i <= n-left; i++ {
			walk(i+1, left-1, acc+mid(pooled[i]))
		}
	}
	walk(0, n1, 0)
	var obs float64
	for _, v := range x {
		obs += mid(v)
	}
	mean := float64(n1*(n+1)) / 2
	pOf := func(w float64) float64 {
		k := 0
		for _, v := range sums {
			if math.Abs(v-mean) >= math.Abs(w-mean)-1e-9 {
				k++
			}
		}
		return float64(k) / float64(len(sums))
	}
	pmin := 1.0
	for _, w := range sums {
		pmin = math.Min(pmin, pOf(w))
	}
	return pOf(obs), pmin
}

// Above ExactLimit: the normal approximation with the continuity
// correction. Thirty values all below thirty others: U = 0, mean 450,
// variance 30·30·61/12 = 4575, z = (0 − 450 + ½)/√4575 = −6.6456.
func TestMannWhitneyNormal(t *testing.T) {
	var x, y []float64
	for i := range 30 {
		x, y = append(x, float64(i)), append(y, float64(100+i))
	}
	got, err := MannWhitney(x, y)
	require.NoError(t, err)
	require.False(t, got.Exact)
	require.Equal(t, 0.0, got.U)
	z := (0 - 450 + 0.5) / math.Sqrt(4575)
	require.InDelta(t, 2*NormalCDF(z), got.P, 1e-15)
	require.InDelta(t, got.P, got.PMin, 1e-15, "this is the most extreme split")
	require.InDelta(t, -450/math.Sqrt(4575), got.Z, 1e-12)

	// Near the limit the approximation agrees with the exact p-value,
	// ties and all.
	rng := rand.New(rand.NewPCG(7, 7))
	for range 20 {
		var a, b []float64
		for range 25 {
			a = append(a, float64(rng.IntN(12)))
			b = append(b, float64(rng.IntN(12)+1))
		}
		exact, err := MannWhitney(a, b)
		require.NoError(t, err)
		require.True(t, exact.Exact)
		approx, err := mannWhitney(a, b, 0)
		require.NoError(t, err)
		require.False(t, approx.Exact)
		require.InDelta(t, exact.P, approx.P, 0.01, "a=%v b=%v", a, b)
		require.Equal(t, exact.U, approx.U)
	}
}

func TestMannWhitneyDegenerate(t *testing.T) {
	got, err := MannWhitney([]float64{60, 60, 60}, []float64{60, 60})
	require.NoError(t, err)
	require.Equal(t, 1.0, got.P)
	require.Equal(t, 1.0, got.PMin, "values that never vary cannot differ")
	got, err = MannWhitney([]float64{1, 2, 3}, []float64{4, 5, 6})
	require.NoError(t, err)
	require.InDelta(t, 0.1, got.P, 1e-12, "3 against 3 can never reach 0.05")
	_, err = MannWhitney(nil, []float64{1})
	require.ErrorContains(t, err, "both samples need values")
	_, err = MannWhitney([]float64{math.NaN()}, []float64{1})
	require.ErrorContains(t, err, "not a finite value")
}

// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02.
func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-12)
	}
	require.Equal(t, []float64{1}, Holm([]float64{math.NaN()}))
	require.Equal(t, []float64{1, 1}, Holm([]float64{0.6, 0.7}), "capped at 1")
	require.Empty(t, Holm(nil))
}

func TestTarone(t *testing.T) {
	// k=1: two tests can reach 0.05 (> 1); k=2: two can reach 0.025 (<= 2).
	require.Equal(t, []bool{true, true, false, false, false}, Tarone([]float64{0.001, 0.02, 0.03, 1, 1}, 0.05))
	require.Equal(t, []bool{false, false}, Tarone([]float64{0.1, 1}, 0.05), "nothing can reach 0.05")
	require.Equal(t, []bool{true, true, true}, Tarone([]float64{1e-6, 1e-6, 1e-6}, 0.05))
}

// R: prop.test(k, 10, correct = FALSE)$conf.int, which is Wilson's.
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{{0, 10, 0, 0.2775328}, {5, 10, 0.2365931, 0.7634069}, {10, 10, 0.7224672, 1}} {
		lo, hi, err := Wilson(c.k, c.n, 0.95)
		require.NoError(t, err)
		require.InDelta(t, c.lo, lo, 1e-6, "%d/%d", c.k, c.n)
		require.InDelta(t, c.hi, hi, 1e-6, "%d/%d", c.k, c.n)
	}
	for _, bad := range [][2]int{{1, 0}, {-1, 3}, {4, 3}} {
		_, _, err := Wilson(bad[0], bad[1], 0.95)
		require.Error(t, err)
	}
	_, _, err := Wilson(1, 2, 95)
	require.ErrorContains(t, err, "like 0.95")
}

func TestMedianAndNearestRank(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	require.Equal(t, 5.5, Median(xs))
	require.Equal(t, 3.0, Median([]float64{3, 1, 9}))
	require.Equal(t, 9.0, NearestRank(xs, 0.9), "rank ⌈9⌉ = 9")
	require.Equal(t, 10.0, NearestRank(xs[:9], 0.9), "9 values: rank ⌈8.1⌉ = 9")
	require.Equal(t, 5.0, xs[0], "the input is not sorted in place")
	require.True(t, math.IsNaN(Median(nil)))
	require.True(t, math.IsNaN(NearestRank(xs, 1.5)))
}

func TestQuantileInterval(t *testing.T) {
	xs := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	// The median of 10 values: ranks 2 and 9, coverage 1 − 2·11/1024.
	iv, err := QuantileInterval(xs, 0.5, 0.95)
	require.NoError(t, err)
	require.Equal(t, Interval{Lo: 20, Hi: 90, Coverage: 1 - 2*11.0/1024}, Interval{iv.Lo, iv.Hi, math.Round(iv.Coverage*1e12) / 1e12})
	require.True(t, iv.Bounded())
	// The p90 of 10 values: bounded below by the 7th, not above.
	iv, err = QuantileInterval(xs, 0.9, 0.95)
	require.NoError(t, err)
	require.Equal(t, 70.0, iv.Lo)
	require.True(t, math.IsInf(iv.Hi, 1))
	require.False(t, iv.Bounded())
	// Five values cannot bound a median at 95% (1 − 2/32 < 0.95) ...
	iv, err = QuantileInterval(xs[:5], 0.5, 0.95)
	require.NoError(t, err)
	require.False(t, iv.Bounded())
	// ... six can: ranks 1 and 6, coverage 1 − 2/64.
	iv, err = QuantileInterval(xs[:6], 0.5, 0.95)
	require.NoError(t, err)
	require.Equal(t, 10.0, iv.Lo)
	require.Equal(t, 60.0, iv.Hi)
	require.InDelta(t, 1-2.0/64, iv.Coverage, 1e-12)
	_, err = QuantileInterval(nil, 0.5, 0.95)
	require.Error(t, err)
	_, err = QuantileInterval(xs, 1, 0.95)
	require.Error(t, err)
}

// TestCoverage draws many samples and checks that the intervals cover
// the true value at least as often as they claim (fixed seed).
func TestCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const reps = 4000
	medianHits, wilsonHits := 0, 0
	for range reps {
		xs := make([]float64, 15)
		for i := range xs {
			xs[i] = rng.ExpFloat64() // median ln 2
		}
		iv, err := QuantileInterval(xs, 0.5, 0.95)
		require.NoError(t, err)
		if iv.Lo <= math.Ln2 && math.Ln2 <= iv.Hi {
			medianHits++
		}
		k := 0
		for range 20 {
			if rng.Float64() < 0.8 {
				k++
			}
		}
		lo, hi, err := Wilson(k, 20, 0.95)
		require.NoError(t, err)
		if lo <= 0.8 && 0.8 <= hi {
			wilsonHits++
		}
	}
	require.GreaterOrEqual(t, float64(medianHits)/reps, 0.94)
	require.GreaterOrEqual(t, float64(wilsonHits)/reps, 0.92, "Wilson is approximate; near 95% at n = 20")
}

func TestSampleSizes(t *testing.T) {
	require.Equal(t, 4, MinN(0.05), "2/C(8,4) = 0.029; 2/C(6,3) = 0.1")
	require.Equal(t, 6, MinN(0.005))

	// p1 0.5, p2 0.75, α 0.05, power 0.9: (1.96·√(2·.625·.375) + 1.2816·√(.25+.1875))² / .25² = 76.7.
	n, err := TwoProportionsN(0.5, 0.75, 0.05, 0.9)
	require.NoError(t, err)
	require.Equal(t, 77, n)
	// 100% against 95%: 152 a side at power 0.8.
	n, err = TwoProportionsN(1, 0.95, 0.05, 0.8)
	require.NoError(t, err)
	require.Equal(t, 152, n)
	n, err = TwoProportionsN(1, 0, 0.05, 0.8)
	require.NoError(t, err)
	require.Equal(t, 4, n, "never below what an exact test needs")
	_, err = TwoProportionsN(0.5, 0.5, 0.05, 0.8)
	require.Error(t, err)

	// A shift of one standard deviation: 2·(1.96+0.8416)²·π/3 = 16.4.
	n, err = RankTestN(60, 60, 0.05, 0.8)
	require.NoError(t, err)
	require.Equal(t, 17, n)
	n, err = RankTestN(60, 0, 0.05, 0.8)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	_, err = RankTestN(0, 1, 0.05, 0.8)
	require.Error(t, err)
	_, err = RankTestN(1, 1, 0, 0.8)
	require.Error(t, err)

	require.InDelta(t, math.Sqrt(2.5/3), PooledSD([]float64{1, 2, 3}, []float64{11, 12}), 1e-12, "(2 + 0.5) / 3")
	require.True(t, math.IsNaN(PooledSD([]float64{1}, []float64{2})))

	// deviations 1, 0, 1 and 0.5, 0.5: median 0.5
	require.InDelta(t, 1.4826*0.5, RobustSD([]float64{1, 2, 3}, []float64{11, 12}), 1e-12)
	require.InDelta(t, 1.4826*0.5, RobustSD([]float64{1, 2, 3, 1000}, []float64{11, 12}), 1e-12, "an outlier moves it little")
	require.Equal(t, 0.0, RobustSD([]float64{5, 5, 5, 9}, []float64{5, 5}))
	require.True(t, math.IsNaN(RobustSD(nil, []float64{2, 3})))
}

// TestRankTestPower simulates the rank test at the size RankTestN gives
// and checks that it reaches about the power asked for.
func TestRankTestPower(t *testing.T) {
	n, err := RankTestN(1, 1, 0.05, 0.8)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 6))
	hits := 0
	const reps = 400
	for range reps {
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()+1
		}
		r, err := MannWhitney(x, y)
		require.NoError(t, err)
		if r.P < 0.05 {
			hits++
		}
	}
	require.InDelta(t, 0.8, float64(hits)/reps, 0.07)
}

func TestNormal(t *testing.T) {
	require.InDelta(t, 0.975, NormalCDF(1.959963984540054), 1e-12)
	require.InDelta(t, 1.959963984540054, NormalQuantile(0.975), 1e-12)
	require.InDelta(t, 0.8416212335729143, NormalQuantile(0.8), 1e-12)
}

func BenchmarkMannWhitneyExact50(b *testing.B) {
	x, y := make([]float64, 25), make([]float64, 25)
	for i := range 25 {
		x[i], y[i] = float64(2*i), float64(2*i+1)
	}
	for b.Loop() {
		if _, err := MannWhitney(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
