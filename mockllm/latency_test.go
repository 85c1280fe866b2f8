package mockllm

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDistributions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	stats := func(d Dist) (mean, sd, p50 float64) {
		xs := make([]float64, 20000)
		for i := range xs {
			x := d.Sample(r)
			require.GreaterOrEqual(t, x, time.Duration(0))
			xs[i] = float64(x)
			mean += xs[i]
		}
		mean /= float64(len(xs))
		for _, x := range xs {
			sd += (x - mean) * (x - mean)
		}
		sort.Float64s(xs)
		return mean, math.Sqrt(sd / float64(len(xs))), xs[len(xs)/2]
	}
	ms := float64(time.Millisecond)
	m, sd, _ := stats(Constant(42 * time.Millisecond))
	require.Equal(t, 42*ms, m)
	require.Zero(t, sd)
	m, sd, p50 := stats(Dist{Kind: DistNormal, Mean: 100 * time.Millisecond, Stddev: 10 * time.Millisecond})
	require.InDelta(t, 100*ms, m, 0.5*ms)
	require.InDelta(t, 10*ms, sd, 0.5*ms)
	require.InDelta(t, 100*ms, p50, 0.5*ms)
	m, sd, p50 = stats(Dist{Kind: DistLognormal, Mean: 400 * time.Millisecond, Stddev: 200 * time.Millisecond})
	require.InDelta(t, 400*ms, m, 8*ms, "lognormal keeps the configured mean")
	require.InDelta(t, 200*ms, sd, 12*ms)
	require.Less(t, p50, m, "and is skewed right")
}

func TestLatencyModelWithVirtualClock(t *testing.T) {
	s, fs := startTest(t, func(c *Config) {
		c.Models[0].Latency = Latency{TTFT: Constant(250 * time.Millisecond), ITL: Constant(20 * time.Millisecond)}
	})
	_, data, err := streamLines(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", `"stream":true,"max_tokens":30`))
	require.NoError(t, err)
	require.Len(t, data, 1+30+1+1)
	fs.mu.Lock()
	sleeps := append([]time.Duration(nil), fs.sleeps...)
	fs.mu.Unlock()
	require.Len(t, sleeps, 30, "one wait for the first token, one per gap")
	require.Equal(t, 250*time.Millisecond, sleeps[0])
	for _, d := range sleeps[1:] {
		require.Equal(t, 20*time.Millisecond, d)
	}
	e := s.Journal()[0]
	require.InDelta(t, 250+29*20, e.DurationMS, 0.001)
}

// blockingSleeper holds every sleep until released, to observe queueing.
type blockingSleeper struct {
	fakeSleeper
	gate chan struct{}
	in   chan struct{}
}

func (b *blockingSleeper) Sleep(ctx context.Context, d time.Duration) error {
	b.in <- struct{}{}
	select {
	case <-b.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.fakeSleeper.Sleep(ctx, d)
}

func TestCapacityQueues(t *testing.T) {
	bs := &blockingSleeper{fakeSleeper: *newFakeSleeper(), gate: make(chan struct{}), in: make(chan struct{}, 10)}
	s, _ := startTest(t, func(c *Config) {
		c.Sleeper = bs
		c.Models[0].Latency = Latency{TTFT: Constant(time.Second), Capacity: 2}
	})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""))
			require.Equal(t, http.StatusOK, res.StatusCode)
		}()
	}
	// Two are served (sleeping), the third waits for capacity.
	<-bs.in
	<-bs.in
	require.Eventually(t, func() bool {
		return testGauge(t, s, `drill_mockllm_requests_queued{model="gpt-4o"} 1`)
	}, 5*time.Second, 5*time.Millisecond)
	close(bs.gate)
	<-bs.in
	wg.Wait()
	require.Len(t, s.Journal(), 3)
}

func testGauge(t *testing.T, s *Server, line string) bool {
	res, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	b := make([]byte, 1<<20)
	n, _ := readFull(res, b)
	return contains(splitLines(string(b[:n])), line)
}
