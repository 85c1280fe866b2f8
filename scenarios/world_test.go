package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// An engine that stops while the world runs leaves the drill without
// alerts: that is a harness failure, recorded on the log, never a drill
// the team failed.
func TestEngineStoppingIsAHarnessFailure(t *testing.T) {
	tm := demoTeam(t)
	top, err := TopologyOf(tm)
	require.NoError(t, err)
	opts := &Options{Team: tm, Speed: 60, Start: time.Now().UTC()}
	w := newWorld(opts, tm, top, 1)
	require.NoError(t, w.Start(context.Background()))
	defer func() { require.NoError(t, w.Close()) }()
	require.NoError(t, w.Harness())

	require.NoError(t, w.alerts.Close()) // its next tick fails
	require.Eventually(t, func() bool { return w.Harness() != nil }, 10*time.Second, 10*time.Millisecond)
	require.ErrorContains(t, w.Harness(), "alerting stopped")
	_, ok := w.Log().Find(timeline.OfKind(timeline.HarnessError, ""))
	require.True(t, ok, "the failure is on the timeline")
}
