package timeline

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells drill time. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current drill time.
	Now() time.Time
	// Speed is the number of drill seconds per real second; 0 for a
	// virtual clock, which runs only when advanced.
	Speed() float64
	// After returns a channel that receives the drill time once d of drill
	// time has passed. A non-positive d fires at once.
	After(d time.Duration) <-chan time.Time
}

// Sleep waits d of drill time, or until ctx is done.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.After(d):
		return nil
	}
}

// Real converts a drill duration into the real duration it takes on c.
// A virtual clock has no real duration: Real returns 0 for it.
func Real(c Clock, d time.Duration) time.Duration {
	s := c.Speed()
	if s <= 0 {
		return 0
	}
	return time.Duration(float64(d) / s)
}

// MinSpeed and MaxSpeed bound the drill clock speed a user may ask for
// (`drill run --speed`, the "drill clock runs at speed N" step). Above
// MaxSpeed a rule's 15s evaluation interval is less than 15ms of real
// time and a one-second request spans more than a quarter of an hour of
// drill time: nothing a drill measures means anything there. Below
// MinSpeed a 15-minute drill takes over two hours.
const (
	MinSpeed = 0.1
	MaxSpeed = 1000
)

// CheckSpeed refuses a clock speed outside MinSpeed to MaxSpeed, saying
// the range.
func CheckSpeed(speed float64) error {
	if !(speed >= MinSpeed && speed <= MaxSpeed) {
		return fmt.Errorf("want a number of drill seconds per real second from %g to %g, got %g", float64(MinSpeed), float64(MaxSpeed), speed)
	}
	return nil
}

// Scaled is a clock whose drill time runs speed times faster than the wall
// clock, starting at a given drill instant.
type Scaled struct {
	start     time.Time    // drill time at realStart
	realStart atomic.Int64 // wall clock, Unix nanoseconds
	speed     float64
}

// NewScaled returns a clock at drill time start that runs speed drill
// seconds per real second. Speed must be positive.
func NewScaled(start time.Time, speed float64) (*Scaled, error) {
	if !(speed > 0) {
		return nil, fmt.Errorf("timeline: clock speed must be a positive number, got %v", speed)
	}
	c := &Scaled{start: start, speed: speed}
	c.realStart.Store(time.Now().UnixNano())
	return c, nil
}

// Rebase makes drill time start again from the clock's start instant now,
// so that setup (starting servers, opening stores) costs no drill time:
// at speed 120 a second of setup would otherwise be two drill minutes.
// Call it before anything waits on the clock.
func (c *Scaled) Rebase() { c.realStart.Store(time.Now().UnixNano()) }

// Now implements Clock.
func (c *Scaled) Now() time.Time {
	elapsed := time.Duration(time.Now().UnixNano() - c.realStart.Load())
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}

// Speed implements Clock.
func (c *Scaled) Speed() float64 { return c.speed }

// After implements Clock.
func (c *Scaled) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.Now()
		return ch
	}
	time.AfterFunc(time.Duration(float64(d)/c.speed), func() { ch <- c.Now() })
	return ch
}

// Virtual is a clock for tests and planning: it stands still until Advance
// or Set moves it, and fires timers in deadline order as it passes them.
type Virtual struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
}

// NewVirtual returns a virtual clock at start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start} }

// Now implements Clock.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Speed implements Clock; a virtual clock has none.
func (v *Virtual) Speed() float64 { return 0 }

// After implements Clock.
func (v *Virtual) After(d time.Duration) <-chan time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- v.now
		return ch
	}
	v.seq++
	heap.Push(&v.timers, &vtimer{at: v.now.Add(d), seq: v.seq, ch: ch})
	return ch
}

// Advance moves the clock forward by d, firing every timer it passes.
func (v *Virtual) Advance(d time.Duration) { v.Set(v.Now().Add(d)) }

// Set moves the clock to t (never backwards), firing every timer at or
// before t in deadline order.
func (v *Virtual) Set(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.Before(v.now) {
		return
	}
	for len(v.timers) > 0 && !v.timers[0].at.After(t) {
		tm := heap.Pop(&v.timers).(*vtimer)
		v.now = tm.at
		tm.ch <- tm.at
	}
	v.now = t
}

// Pending reports how many timers wait to fire; tests use it to know that
// a goroutine has reached its wait before advancing the clock.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

type vtimer struct {
	at  time.Time
	seq uint64
	ch  chan time.Time
}

type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*vtimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}
