package mockllm

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// slowJSON and slowBits write v number by number, as a vector that is
// not whole blocks is written.
func slowJSON(vp *vectorPool, v *vectorRef) []byte {
	w := *v
	w.rendered = nil
	return vp.appendJSON(nil, &w)
}

func slowBits(vp *vectorPool, v *vectorRef) []byte {
	w := *v
	w.rendered = nil
	return vp.appendBits(nil, &w)
}

func norm2(v []float32) (sum float64) {
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return sum
}

func TestVectorFastPathMatches(t *testing.T) {
	vp := newVectorPool(3)
	for _, dims := range []int{1536, 3072, 256, 16, 8192} {
		m := Model{Name: "text-embedding-3-large", Dimensions: dims}
		for _, renorm := range []bool{true, false} {
			for _, text := range []string{"", "summarise the incident", "é\x00"} {
				var v vectorRef
				vp.resolve(&v, m, text, dims, renorm)
				require.NotNil(t, v.rendered, "%d numbers are whole blocks", dims)
				require.Equal(t, string(slowJSON(vp, &v)), string(vp.appendJSON(nil, &v)), "dims %d %q", dims, text)
				require.Equal(t, slowBits(vp, &v), vp.appendBits(nil, &v), "dims %d %q", dims, text)
			}
		}
	}
	// A part block is written number by number.
	var v vectorRef
	vp.resolve(&v, Model{Name: "m", Dimensions: 100}, "x", 100, true)
	require.Nil(t, v.rendered)
}

func TestVectorNorms(t *testing.T) {
	vp := newVectorPool(1)
	m := Model{Name: "text-embedding-3-small", Dimensions: 1536}
	full := vp.vector(m, "the text", 1536, true)
	require.InDelta(t, 1, norm2(full), 1e-5)
	for _, dims := range []int{1, 7, 16, 100, 256, 1000, 1535} {
		cut := vp.vector(m, "the text", dims, true)
		require.Len(t, cut, dims)
		require.InDelta(t, 1, norm2(cut), 1e-5, "dims %d renormalised, as OpenAI's dimensions", dims)
		// The cut vector is the full one's prefix, rescaled.
		scale := math.Sqrt(norm2(full[:dims]))
		for i, x := range cut {
			require.InDelta(t, float64(full[i])/scale, float64(x), 1e-6*math.Abs(float64(x))+1e-9, "dims %d number %d", dims, i)
		}
		// Gemini's outputDimensionality keeps the full vector's numbers.
		require.Equal(t, full[:dims], vp.vector(m, "the text", dims, false), "dims %d", dims)
	}
	// A model whose own length is not whole blocks is still unit norm.
	odd := Model{Name: "odd", Dimensions: 1000}
	require.InDelta(t, 1, norm2(vp.vector(odd, "t", 1000, false)), 1e-5)
}

func TestVectorsDiffer(t *testing.T) {
	m := Model{Name: "text-embedding-3-small", Dimensions: 1536}
	vp := newVectorPool(1)
	a := vp.vector(m, "a", 1536, true)
	require.Equal(t, a, newVectorPool(1).vector(m, "a", 1536, true), "a text has one vector for a seed")
	dot := func(x, y []float32) (s float64) {
		for i := range x {
			s += float64(x[i]) * float64(y[i])
		}
		return s
	}
	// Unrelated unit vectors of 1,536 numbers have a cosine of about
	// N(0, 1/1536): 0.15 is six deviations.
	for _, other := range [][]float32{
		vp.vector(m, "b", 1536, true),
		vp.vector(Model{Name: "text-embedding-3-large", Dimensions: 1536}, "a", 1536, true),
		newVectorPool(2).vector(m, "a", 1536, true),
	} {
		require.Less(t, math.Abs(dot(a, other)), 0.15)
	}
	// The numbers look like an embedding's: mean 0, variance 1/dims.
	var sum, sq float64
	n := 0
	for i := range 50 {
		for _, x := range vp.vector(m, fmt.Sprint("text ", i), 1536, true) {
			sum += float64(x)
			sq += float64(x) * float64(x)
			n++
		}
	}
	mean, variance := sum/float64(n), sq/float64(n)
	require.InDelta(t, 0, mean, 0.001)
	require.InDelta(t, 1.0/1536, variance, 0.05/1536)
}

// Past maxScales, a new scale is written number by number, with the
// same bytes it would have had rendered.
func TestVectorScalesBounded(t *testing.T) {
	vp := newVectorPool(5)
	m := Model{Name: "m", Dimensions: 16 * (maxScales + 2)}
	for k := 1; k <= maxScales+2; k++ {
		var v vectorRef
		vp.resolve(&v, m, "x", 16*k, true)
		if k <= maxScales {
			require.NotNil(t, v.rendered, "scale %d", k)
			continue
		}
		require.Nil(t, v.rendered, "scale %d is past the bound", k)
		rendered := newVectorPool(5)
		var w vectorRef
		rendered.resolve(&w, m, "x", 16*k, true)
		require.NotNil(t, w.rendered)
		require.Equal(t, string(rendered.appendJSON(nil, &w)), string(vp.appendJSON(nil, &v)))
	}
	require.Len(t, *vp.scales.Load(), maxScales)
}
