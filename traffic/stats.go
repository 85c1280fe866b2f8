package traffic

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Stats are a generator's totals, for scorecards.
type Stats struct {
	// Arrivals is every scheduled request, dropped ones included,
	// counted when it arrives.
	Arrivals int64 `json:"arrivals"`
	// InFlight is the requests sent and not yet finished; once stopped,
	// Arrivals is the sum of Outcomes.
	InFlight int64 `json:"in_flight"`
	// Outcomes counts finished arrivals by outcome.
	Outcomes map[string]int64 `json:"outcomes"`
	// ByKind counts finished arrivals by kind, then outcome.
	ByKind map[string]map[string]int64 `json:"by_kind"`

	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`

	// Latency and TTFT quantiles over the requests sent (a uniform sample
	// when there were very many).
	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP95 time.Duration `json:"latency_p95"`
	LatencyP99 time.Duration `json:"latency_p99"`
	TTFTP50    time.Duration `json:"ttft_p50"`
	TTFTP95    time.Duration `json:"ttft_p95"`

	// Elapsed is the time from Start to Stop (or to now while running).
	Elapsed time.Duration `json:"elapsed"`
}

// Sent is the number of requests actually sent (arrivals not dropped).
func (s Stats) Sent() int64 { return s.Arrivals - s.Outcomes[OutcomeDropped] }

// SuccessRatio is ok requests over arrivals; 0 when there were none.
func (s Stats) SuccessRatio() float64 {
	if s.Arrivals == 0 {
		return 0
	}
	return float64(s.Outcomes[OutcomeOK]) / float64(s.Arrivals)
}

// Stats returns the totals so far.
func (g *Generator) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state.snapshot()
	st.InFlight = g.inFlight.Load()
	return st
}

type stats struct {
	start, end time.Time
	arrivals   int64
	outcomes   map[string]int64
	byKind     map[string]map[string]int64
	in, out    int64
	cost       float64
	lat, ttft  reservoir
}

func newStats(seed uint64) stats {
	return stats{
		outcomes: map[string]int64{},
		byKind:   map[string]map[string]int64{},
		lat:      reservoir{rng: rand.New(rand.NewPCG(seed, 0x6c6174))},
		ttft:     reservoir{rng: rand.New(rand.NewPCG(seed, 0x74746674))},
	}
}

func (s *stats) add(r Result) {
	s.outcomes[r.Outcome]++
	if s.byKind[r.Kind] == nil {
		s.byKind[r.Kind] = map[string]int64{}
	}
	s.byKind[r.Kind][r.Outcome]++
	if r.Outcome == OutcomeDropped {
		return
	}
	s.in += r.InputTokens
	s.out += r.OutputTokens
	s.cost += r.CostUSD
	s.lat.add(r.Latency)
	if r.TTFT > 0 {
		s.ttft.add(r.TTFT)
	}
}

func (s *stats) snapshot() Stats {
	out := Stats{
		Arrivals: s.arrivals, Outcomes: map[string]int64{}, ByKind: map[string]map[string]int64{},
		InputTokens: s.in, OutputTokens: s.out, CostUSD: s.cost,
	}
	for k, v := range s.outcomes {
		out.Outcomes[k] = v
	}
	for k, m := range s.byKind {
		out.ByKind[k] = map[string]int64{}
		for o, v := range m {
			out.ByKind[k][o] = v
		}
	}
	lat := s.lat.sorted()
	out.LatencyP50, out.LatencyP95, out.LatencyP99 = quantile(lat, .5), quantile(lat, .95), quantile(lat, .99)
	tt := s.ttft.sorted()
	out.TTFTP50, out.TTFTP95 = quantile(tt, .5), quantile(tt, .95)
	switch {
	case s.start.IsZero():
	case s.end.IsZero():
		out.Elapsed = time.Since(s.start)
	default:
		out.Elapsed = s.end.Sub(s.start)
	}
	return out
}

// reservoir keeps a uniform sample of at most maxSamples durations.
type reservoir struct {
	rng  *rand.Rand
	seen int64
	xs   []time.Duration
}

func (r *reservoir) add(d time.Duration) {
	r.seen++
	if len(r.xs) < maxSamples {
		r.xs = append(r.xs, d)
		return
	}
	if i := r.rng.Int64N(r.seen); i < maxSamples {
		r.xs[i] = d
	}
}

func (r *reservoir) sorted() []time.Duration {
	xs := slices.Clone(r.xs)
	slices.Sort(xs)
	return xs
}

// quantile is the nearest-rank quantile of sorted xs; 0 when empty.
func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	i := int(q*float64(len(xs))+0.999999) - 1
	i = max(0, min(i, len(xs)-1))
	return xs[i]
}
