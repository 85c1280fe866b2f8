package faults

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// surgeRecorder is a traffic generator's multiplier and request counter.
type surgeRecorder struct {
	mu      sync.Mutex
	factors []float64
	sent    atomic.Int64
}

func (s *surgeRecorder) set(f float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.factors = append(s.factors, f)
	return nil
}

func (s *surgeRecorder) got() []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float64(nil), s.factors...)
}

// waitTimer waits until the schedule goroutine waits on the virtual clock.
func waitTimer(t *testing.T, v *timeline.Virtual) {
	t.Helper()
	require.Eventually(t, func() bool { return v.Pending() > 0 }, 5*time.Second, time.Millisecond)
}

func TestScheduleStartDurationAndRamp(t *testing.T) {
	leakCheck(t)
	v := timeline.NewVirtual(t0)
	log := timeline.NewLog(v)
	rec := &surgeRecorder{}
	inj := NewInjector(Targets{Surge: rec.set, Sent: rec.sent.Load}, log)

	a, err := inj.Apply(context.Background(), "surge", mustParse(t, "traffic-surge", map[string]string{"factor": "5"}), "traffic",
		Schedule{Start: 2 * time.Minute, Duration: 10 * time.Minute, Ramp: Ramp{Steps: 4, Over: 6 * time.Minute}})
	require.NoError(t, err)
	require.False(t, a.On())

	waitTimer(t, v)
	v.Advance(2 * time.Minute) // on, at 1/4 strength
	require.Eventually(t, a.On, 5*time.Second, time.Millisecond)
	require.Equal(t, []float64{2}, rec.got())
	on := offOrOn(t, log, timeline.FaultOn)
	require.Equal(t, t0.Add(2*time.Minute), on.At)
	require.Equal(t, "0.25", on.Attrs["level"])

	rec.sent.Add(100)
	for i, want := range []float64{3, 4, 5} { // a step every 2 minutes
		waitTimer(t, v)
		v.Advance(2 * time.Minute)
		require.Eventually(t, func() bool { return len(rec.got()) == i+2 }, 5*time.Second, time.Millisecond)
		require.Equal(t, want, rec.got()[i+1])
	}
	rec.sent.Add(50)
	waitTimer(t, v)
	v.Advance(4 * time.Minute) // 10 minutes after it came on
	<-a.Done()
	require.False(t, a.On())
	require.Equal(t, []float64{2, 3, 4, 5, 1}, rec.got())
	off := offOrOn(t, log, timeline.FaultOff)
	require.Equal(t, t0.Add(12*time.Minute), off.At)
	require.Equal(t, "150", off.Attrs["affected"])
	require.Equal(t, string(scoring.EvidenceTraffic), off.Attrs["evidence"])
	require.Empty(t, inj.Active())
	require.NoError(t, a.Err())
}

func offOrOn(t *testing.T, l *timeline.Log, k timeline.Kind) timeline.Event {
	t.Helper()
	e, ok := l.Find(timeline.OfKind(k, ""))
	require.True(t, ok, "no %s in %v", k, l.Events())
	return e
}

// A ramp of an app fault re-adds it with a higher probability at each
// step; the evidence sums every step and nothing is left on the mock.
func TestAppRamp(t *testing.T) {
	leakCheck(t)
	m := newFakeMock(t)
	v := timeline.NewVirtual(t0)
	log := timeline.NewLog(v)
	inj := NewInjector(Targets{Providers: map[string]string{"openai": m.srv.URL}}, log)
	a, err := inj.Apply(context.Background(), "err", mustParse(t, "provider-error", map[string]string{"probability": "0.8"}), "openai",
		Schedule{Ramp: Ramp{Steps: 2, Over: time.Minute}})
	require.NoError(t, err)
	hit1 := m.requests("m", 200)
	waitTimer(t, v)
	v.Advance(time.Minute)
	require.Eventually(t, func() bool { return len(m.posted()) == 2 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return len(m.set.IDs()) == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"err.2"}, m.set.IDs())
	require.InDelta(t, 0.4, m.posted()[0]["probability"], 1e-9)
	require.InDelta(t, 0.8, m.posted()[1]["probability"], 1e-9)
	hit2 := m.requests("m", 200)
	require.Greater(t, hit2, hit1) // 0.8 against 0.4, over 200 requests each
	n, err := a.Affected(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(hit1+hit2), n)
	require.NoError(t, inj.RemoveAll(context.Background()))
	require.Empty(t, m.set.IDs())
}

// Cancelling Apply's context ends the fault and removes it.
func TestCancelRemoves(t *testing.T) {
	leakCheck(t)
	m := newFakeMock(t)
	log := timeline.NewLog(timeline.NewVirtual(t0))
	inj := NewInjector(Targets{Stubs: map[string]string{"pay": m.srv.URL}}, log)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := inj.Apply(ctx, "", mustParse(t, "stub-outage", nil), "pay", Schedule{})
	require.NoError(t, err)
	require.Equal(t, "stub-outage-1", a.ID)
	require.Len(t, m.set.IDs(), 1)
	cancel()
	<-a.Done()
	require.Empty(t, m.set.IDs())
	require.Equal(t, "0", offOrOn(t, log, timeline.FaultOff).Attrs["affected"])
	require.NoError(t, inj.RemoveAll(context.Background()))
}

// A fault scheduled for later and removed before its start never touches
// the target and logs nothing.
func TestRemoveBeforeStart(t *testing.T) {
	leakCheck(t)
	m := newFakeMock(t)
	v := timeline.NewVirtual(t0)
	log := timeline.NewLog(v)
	inj := NewInjector(Targets{Stubs: map[string]string{"pay": m.srv.URL}}, log)
	_, err := inj.Apply(context.Background(), "later", mustParse(t, "stub-slow", nil), "pay", Schedule{Start: time.Hour})
	require.NoError(t, err)
	_, err = inj.Apply(context.Background(), "later", mustParse(t, "stub-slow", nil), "pay", Schedule{})
	require.EqualError(t, err, `faults: fault "later" is already active; stop it first or choose another id`)
	require.NoError(t, inj.RemoveAll(context.Background()))
	require.Empty(t, m.posted())
	require.Empty(t, log.Events())
}

// When removal fails (the mock is gone), the error is reported and the
// FaultOff event still carries what is known.
func TestRemovalFailureIsReported(t *testing.T) {
	leakCheck(t)
	m := newFakeMock(t)
	log := timeline.NewLog(timeline.NewVirtual(t0))
	inj := NewInjector(Targets{Providers: map[string]string{"openai": m.srv.URL}}, log)
	_, err := inj.Apply(context.Background(), "q", mustParse(t, "provider-quota", nil), "openai", Schedule{})
	require.NoError(t, err)
	m.srv.Close()
	err = inj.RemoveAll(context.Background())
	require.ErrorContains(t, err, "q: faults: control API")
	off := offOrOn(t, log, timeline.FaultOff)
	require.Equal(t, string(scoring.EvidenceUnavailable), off.Attrs["evidence"])
	_, ok := log.Find(timeline.OfKind(timeline.HarnessError, "q"))
	require.True(t, ok)
}
