package mockllm

import (
	"encoding/binary"
	"maps"
	"math"
	"sync"
	"sync/atomic"
)

// Embedding vectors.
//
// A vector is made of blocks of blockDims numbers. Each block is one of
// poolBlocks unit-norm blocks of random normals drawn once from the
// server's seed; which block sits at each place of a text's vector is
// drawn from (seed, model, text). A vector of k whole blocks is scaled
// by 1/sqrt(k), so its norm is 1 by construction, and its numbers are
// normals of variance 1/dims as a real embedding's roughly are. A text
// always has the same vector, two texts have unrelated ones (a block
// repeats at the same place with chance 1/poolBlocks).
//
// Built this way, a vector whose length and norm are whole blocks (every
// default dimension, and OpenAI's and Gemini's usual shorter ones, 256
// to 3072, are multiples of 16) is written by copying each block's
// numbers, rendered once per scale, instead of computing and printing
// thousands of shortest decimals a request. Other lengths are computed
// number by number, with the same values (TestVectorFastPathMatches).
const (
	blockDims  = 16
	poolBlocks = 4096
	// maxScales bounds the scales rendered ahead: each is about 1 MB
	// (poolBlocks*blockDims numbers as text and as float32s). Past it a
	// vector is printed number by number.
	maxScales = 8
	// maxVectorBlocks is the most blocks a vector has: Config bounds a
	// model's dimensions at 8,192.
	maxVectorBlocks = 8192 / blockDims
)

// vectorPool is a server's blocks and the scales rendered from them.
type vectorPool struct {
	seed   uint64
	units  [poolBlocks][blockDims]float64
	scales atomic.Pointer[map[int]*renderedScale] // by whole blocks k; copied on write
	mu     sync.Mutex                             // serialises rendering a scale
}

// renderedScale is every block scaled by 1/sqrt(k): block i's numbers as
// encoding/json writes float32s, comma-separated, in
// text[off[i]:off[i+1]], and as little-endian float32s in
// bits[4*blockDims*i:].
type renderedScale struct {
	text []byte
	off  [poolBlocks + 1]uint32
	bits []byte
}

func newVectorPool(seed uint64) *vectorPool {
	vp := &vectorPool{seed: seed}
	r := newRand(seed, "embedding blocks")
	for i := range vp.units {
		u := &vp.units[i]
		var sum float64
		for j := range u {
			u[j] = r.NormFloat64()
			sum += u[j] * u[j]
		}
		norm := math.Sqrt(sum)
		for j := range u {
			u[j] /= norm
		}
	}
	empty := map[int]*renderedScale{}
	vp.scales.Store(&empty)
	return vp
}

// vectorRef is one text's vector: its blocks and scale.
type vectorRef struct {
	idx   [maxVectorBlocks]uint16
	dims  int
	scale float64
	// rendered is the scale's rendering when the vector is whole blocks
	// at a rendered scale, else nil.
	rendered *renderedScale
}

// resolve sets v to text's vector by model m cut to dims numbers. With
// renorm (OpenAI's dimensions) the cut vector is scaled back to norm 1;
// without it (Gemini's outputDimensionality) it keeps the full vector's
// scale, so only the full vector has norm 1, as Gemini documents.
func (vp *vectorPool) resolve(v *vectorRef, m Model, text string, dims int, renorm bool) {
	normLen := m.Dimensions
	if renorm {
		normLen = dims
	}
	n := (normLen + blockDims - 1) / blockDims
	var g prng
	d := draws{r: g.seed(vp.seed, "embedding", m.Name, text)}
	for i := range n {
		v.idx[i] = uint16(d.intN(poolBlocks))
	}
	k, part := normLen/blockDims, normLen%blockDims
	norm2 := float64(k)
	if part > 0 {
		for _, x := range vp.units[v.idx[k]][:part] {
			norm2 += x * x
		}
	}
	v.dims, v.scale, v.rendered = dims, 1/math.Sqrt(norm2), nil
	if part == 0 && dims%blockDims == 0 {
		v.rendered = vp.scaleOf(k)
	}
}

// at is the vector's number i.
func (vp *vectorPool) at(v *vectorRef, i int) float32 {
	return float32(vp.units[v.idx[i/blockDims]][i%blockDims] * v.scale)
}

// scaleOf returns the rendering of scale 1/sqrt(k), rendering it on
// first use, or nil once maxScales are rendered.
func (vp *vectorPool) scaleOf(k int) *renderedScale {
	if r := (*vp.scales.Load())[k]; r != nil {
		return r
	}
	vp.mu.Lock()
	defer vp.mu.Unlock()
	old := *vp.scales.Load()
	if r := old[k]; r != nil {
		return r
	}
	if len(old) >= maxScales {
		return nil
	}
	scale := 1 / math.Sqrt(float64(k))
	r := &renderedScale{bits: make([]byte, 0, poolBlocks*blockDims*4)}
	r.text = make([]byte, 0, poolBlocks*blockDims*12)
	for i, u := range vp.units {
		r.off[i] = uint32(len(r.text))
		for j, x := range u {
			f := float32(x * scale)
			if j > 0 {
				r.text = append(r.text, ',')
			}
			r.text = appendFloat32(r.text, f)
			r.bits = binary.LittleEndian.AppendUint32(r.bits, math.Float32bits(f))
		}
	}
	r.off[poolBlocks] = uint32(len(r.text))
	next := maps.Clone(old)
	next[k] = r
	vp.scales.Store(&next)
	return r
}

// appendJSON appends the vector as a JSON array, as encoding/json
// writes a []float32.
func (vp *vectorPool) appendJSON(b []byte, v *vectorRef) []byte {
	b = append(b, '[')
	if r := v.rendered; r != nil {
		for i := range v.dims / blockDims {
			if i > 0 {
				b = append(b, ',')
			}
			x := v.idx[i]
			b = append(b, r.text[r.off[x]:r.off[x+1]]...)
		}
		return append(b, ']')
	}
	for i := range v.dims {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat32(b, vp.at(v, i))
	}
	return append(b, ']')
}

// appendBits appends the vector's float32s, little-endian, as OpenAI's
// base64 encoding carries them.
func (vp *vectorPool) appendBits(b []byte, v *vectorRef) []byte {
	if r := v.rendered; r != nil {
		const size = 4 * blockDims
		for i := range v.dims / blockDims {
			x := int(v.idx[i])
			b = append(b, r.bits[size*x:size*x+size]...)
		}
		return b
	}
	for i := range v.dims {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(vp.at(v, i)))
	}
	return b
}

// vector returns text's vector as numbers (see resolve), computed one
// by one: the reference the rendered paths are held to.
func (vp *vectorPool) vector(m Model, text string, dims int, renorm bool) []float32 {
	var v vectorRef
	vp.resolve(&v, m, text, dims, renorm)
	out := make([]float32, dims)
	for i := range out {
		out[i] = vp.at(&v, i)
	}
	return out
}
