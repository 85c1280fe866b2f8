package mockllm

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Sleeper is the clock latencies are measured and waited on. Tests inject
// one that advances a virtual clock instead of sleeping.
type Sleeper interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, whichever comes first.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealTime is the Sleeper of wall-clock time.
type RealTime struct{}

// Now returns time.Now().
func (RealTime) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealTime) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sample draws one duration from d; never negative.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case DistNormal:
		v := float64(d.Mean) + float64(d.Stddev)*r.NormFloat64()
		return time.Duration(math.Max(0, v))
	case DistLognormal:
		if d.Mean <= 0 {
			return 0
		}
		// Parameters of the underlying normal so that the lognormal has the
		// configured mean and standard deviation.
		m, s := float64(d.Mean), float64(d.Stddev)
		sigma2 := math.Log1p(s * s / (m * m))
		mu := math.Log(m) - sigma2/2
		return time.Duration(math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64()))
	default:
		return d.Mean
	}
}

// pacer schedules the tokens of one response against absolute deadlines,
// so that a late wake-up shortens the next gap instead of drifting: the
// measured inter-token latency stays on the configured one.
type pacer struct {
	sl   Sleeper
	next time.Time
}

func newPacer(sl Sleeper) *pacer { return &pacer{sl: sl, next: sl.Now()} }

// wait sleeps until d after the previous deadline.
func (p *pacer) wait(ctx context.Context, d time.Duration) error {
	p.next = p.next.Add(d)
	if w := p.next.Sub(p.sl.Now()); w > 0 {
		return p.sl.Sleep(ctx, w)
	}
	return ctx.Err()
}

// semaphore is a model's capacity: requests beyond it queue.
type semaphore chan struct{}

func (s semaphore) acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s semaphore) release() {
	if s != nil {
		<-s
	}
}
