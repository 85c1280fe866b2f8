package timeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func TestVirtualFiresTimersInOrder(t *testing.T) {
	v := NewVirtual(t0)
	a := v.After(2 * time.Minute)
	b := v.After(time.Minute)
	require.Equal(t, 2, v.Pending())
	v.Advance(90 * time.Second)
	require.Equal(t, t0.Add(time.Minute), <-b)
	select {
	case <-a:
		t.Fatal("timer at 2m fired at 1m30s")
	default:
	}
	v.Advance(time.Hour)
	require.Equal(t, t0.Add(2*time.Minute), <-a)
	require.Equal(t, t0.Add(time.Hour+90*time.Second), v.Now())
}

func TestVirtualNeverRunsBackwards(t *testing.T) {
	v := NewVirtual(t0)
	v.Set(t0.Add(-time.Hour))
	require.Equal(t, t0, v.Now())
}

func TestScaledRejectsBadSpeed(t *testing.T) {
	for _, s := range []float64{0, -1} {
		_, err := NewScaled(t0, s)
		require.ErrorContains(t, err, "positive")
	}
}

// The speeds a user may ask for: 0.1 to 1000, with the range in the
// error; NaN and infinities are out.
func TestCheckSpeed(t *testing.T) {
	for _, ok := range []float64{MinSpeed, 1, 60, MaxSpeed} {
		require.NoError(t, CheckSpeed(ok), ok)
	}
	for _, bad := range []float64{0, -1, 0.09, 1000.5, 1e9, math.NaN(), math.Inf(1)} {
		require.ErrorContains(t, CheckSpeed(bad), "want a number of drill seconds per real second from 0.1 to 1000, got ", bad)
	}
}

func TestScaledRunsFaster(t *testing.T) {
	c, err := NewScaled(t0, 3600)
	require.NoError(t, err)
	// One real hour per real second: within a few milliseconds of real
	// time, drill time moves by whole drill seconds.
	require.Eventually(t, func() bool { return c.Now().Sub(t0) > 10*time.Second }, 5*time.Second, time.Millisecond)
	require.Equal(t, time.Second, Real(c, time.Hour))
}

func TestWaitSeesPastAndFutureEvents(t *testing.T) {
	v := NewVirtual(t0)
	l := NewLog(v)
	l.Append(Event{Kind: FaultOn, Subject: "outage"})

	e, err := l.Wait(context.Background(), OfKind(FaultOn, "outage"), time.Minute)
	require.NoError(t, err)
	require.Equal(t, int64(1), e.Seq)

	done := make(chan Event, 1)
	go func() {
		e, err := l.Wait(context.Background(), OfKind(AlertFiring, "LLMDown"), 10*time.Minute)
		if err == nil {
			done <- e
		}
		close(done)
	}()
	require.Eventually(t, func() bool { return v.Pending() == 1 }, 10*time.Second, time.Millisecond)
	v.Advance(4 * time.Minute)
	l.Append(Event{Kind: AlertFiring, Subject: "LLMDown"})
	got := <-done
	require.Equal(t, t0.Add(4*time.Minute), got.At)
}

func TestWaitDeadline(t *testing.T) {
	v := NewVirtual(t0)
	l := NewLog(v)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Wait(context.Background(), OfKind(Ack, ""), 5*time.Minute)
		errc <- err
	}()
	require.Eventually(t, func() bool { return v.Pending() == 1 }, 10*time.Second, time.Millisecond)
	v.Advance(5 * time.Minute)
	require.True(t, errors.Is(<-errc, ErrDeadline))
}

func TestWaitLateEventMissesDeadline(t *testing.T) {
	v := NewVirtual(t0)
	l := NewLog(v)
	l.Append(Event{Kind: Ack, At: t0.Add(time.Hour)})
	_, err := l.Wait(context.Background(), OfKind(Ack, ""), time.Minute)
	require.ErrorIs(t, err, ErrDeadline)
}

func TestWaitHonoursContext(t *testing.T) {
	l := NewLog(NewVirtual(t0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Wait(ctx, OfKind(Ack, ""), time.Minute)
	require.ErrorIs(t, err, context.Canceled)
}

func TestFollowerMissesNothing(t *testing.T) {
	l := NewLog(NewVirtual(t0))
	l.Append(Event{Kind: Note, Subject: "before"})
	f := l.Follow()
	// A follower that falls far behind still gets every event, in order.
	for i := range 10000 {
		l.Append(Event{Kind: Page, Subject: fmt.Sprint(i)})
	}
	ev, err := f.Next(context.Background())
	require.NoError(t, err)
	require.Len(t, ev, 10000, "events before Follow are not returned; none after it is lost")
	for i, e := range ev {
		require.Equal(t, fmt.Sprint(i), e.Subject)
	}

	// Next waits for the next append.
	got := make(chan []Event, 1)
	go func() {
		ev, _ := f.Next(context.Background())
		got <- ev
	}()
	l.Append(Event{Kind: Ack, Subject: "alice"})
	ev = <-got
	require.Len(t, ev, 1)
	require.Equal(t, "alice", ev[0].Subject)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

// HeldBack tells the notes of what alertmanager.yml held back from other
// notes and from other kinds of event carrying the same reason.
func TestHeldBack(t *testing.T) {
	require.True(t, HeldBack(Event{Kind: Note, Attrs: map[string]string{Reason: Inhibited}}))
	require.True(t, HeldBack(Event{Kind: Note, Attrs: map[string]string{Reason: TimeMuted}}))
	require.False(t, HeldBack(Event{Kind: Note, Attrs: map[string]string{Reason: "receiver_no_policy"}}))
	require.False(t, HeldBack(Event{Kind: BrokenLink, Attrs: map[string]string{Reason: Inhibited}}))
	require.False(t, HeldBack(Event{Kind: Note}))
}
