package gateway

import (
	"sync"
	"time"
)

// Breaker states, as the drill_gateway_breaker_state gauge reports them.
const (
	stateClosed   = 0
	stateOpen     = 1
	stateHalfOpen = 2
)

var stateNames = map[int]string{stateClosed: "closed", stateOpen: "open", stateHalfOpen: "half-open"}

// breaker is a consecutive-failure circuit breaker with a half-open probe.
// An operator can force it open (it then stays open until closed by hand).
type breaker struct {
	cfg    BreakerConfig
	now    func() time.Time
	onMove func(state int)

	mu          sync.Mutex
	state       int
	failures    int       // consecutive failures
	lastFailure time.Time // of the current streak
	openedAt    time.Time
	forced      bool // opened by an operator: no half-open probe
	probing     bool // a half-open probe is in flight
}

func newBreaker(cfg BreakerConfig, now func() time.Time, onMove func(int)) *breaker {
	b := &breaker{cfg: cfg, now: now, onMove: onMove}
	onMove(stateClosed)
	return b
}

// allow reports whether a call may go out; a true answer in half-open state
// reserves the single probe, which done must then settle.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case stateClosed:
		return true
	case stateOpen:
		if b.forced || b.now().Sub(b.openedAt) < b.cfg.Cooldown {
			return false
		}
		b.move(stateHalfOpen)
		b.probing = true
		return true
	default: // half-open: one probe at a time
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
}

// done records the outcome of a call allow let through.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.state == stateHalfOpen {
		b.probing = false
		if ok {
			b.failures = 0
			b.move(stateClosed)
		} else {
			b.openedAt = now
			b.move(stateOpen)
		}
		return
	}
	if b.state != stateClosed {
		return // an operator opened it while the call was in flight
	}
	if ok {
		b.failures = 0
		return
	}
	if b.failures > 0 && now.Sub(b.lastFailure) > b.cfg.Window {
		b.failures = 0 // the streak went stale: start a new one
	}
	b.failures++
	b.lastFailure = now
	if b.cfg.Enabled && b.failures >= b.cfg.FailureThreshold {
		b.openedAt = now
		b.move(stateOpen)
	}
}

// force opens (open=true, until closed by hand) or closes the breaker.
func (b *breaker) force(open bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = 0
	b.probing = false
	b.forced = open
	if open {
		b.openedAt = b.now()
		b.move(stateOpen)
	} else {
		b.move(stateClosed)
	}
}

type breakerState struct {
	State               string `json:"state"`
	Forced              bool   `json:"forced"`
	ConsecutiveFailures int    `json:"consecutive_failures"`
}

func (b *breaker) snapshot() breakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state
	if st == stateOpen && !b.forced && b.now().Sub(b.openedAt) >= b.cfg.Cooldown {
		st = stateHalfOpen // the next call will probe
	}
	return breakerState{State: stateNames[st], Forced: b.forced, ConsecutiveFailures: b.failures}
}

func (b *breaker) move(state int) {
	b.state = state
	b.onMove(state)
}
