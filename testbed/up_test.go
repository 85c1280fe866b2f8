package testbed

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/ctlclient"
)

// drill up's world: its control API is reachable through the state file
// it writes, refuses bad faults as invalid input, and the file goes with
// it, unless another drill up wrote its own since.
func TestStartUpServesControlAPI(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	state := filepath.Join(t.TempDir(), ".drill", "up.json")
	ctx := context.Background()

	u, err := StartUp(ctx, top, Options{Dir: "testdata", TrafficOff: true}, state, "/teams/acme")
	require.NoError(t, err)
	defer func() { require.NoError(t, u.Close()) }()
	require.Equal(t, state, u.StateFile())
	st, err := ReadUpState(state)
	require.NoError(t, err)
	require.Equal(t, u.ControlURL(), st.Control)
	require.Equal(t, os.Getpid(), st.PID)
	require.Equal(t, "/teams/acme", st.Team)
	require.Equal(t, u.Testbed().Endpoints().Service.URL, st.Endpoints.Service.URL)

	c := NewControlClient(st.Control, "state file "+state)
	rejected := func(err error) string {
		t.Helper()
		require.Equal(t, ctlclient.Rejected, ctlclient.KindOf(err), "%v", err)
		return err.Error()
	}
	_, err = c.Inject(ctx, InjectRequest{Kind: "provider-eror"})
	require.Contains(t, rejected(err), "known kinds")
	_, err = c.Inject(ctx, InjectRequest{Kind: "provider-error", Target: "nosuch"})
	require.Contains(t, rejected(err), `no target "nosuch"`)
	_, err = c.Inject(ctx, InjectRequest{Kind: "provider-error", For: "soon"})
	require.Equal(t, `--for: want a duration such as 30s or 2m, got "soon"`, rejected(err))

	in, err := c.Inject(ctx, InjectRequest{Kind: "provider-error", Target: "primary", Params: map[string]string{"status": "503"}})
	require.NoError(t, err)
	require.Equal(t, Injected{ID: "provider-error-1", Kind: "provider-error", Target: "primary", Spec: in.Spec, On: true}, in)
	require.NotEmpty(t, in.Spec)
	status, err := c.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, st.Endpoints.Service.URL, status.Endpoints.Service.URL)
	require.Len(t, status.Evidence, 1)
	require.True(t, status.Evidence[0].On)

	cleared, err := c.Clear(ctx)
	require.NoError(t, err)
	require.Empty(t, cleared.Error)
	require.Len(t, cleared.Evidence, 1)
	require.False(t, cleared.Evidence[0].On, "clear turns every fault off")

	// Another drill up (here: a process that still runs) holds the file:
	// refused before anything starts.
	other := UpState{Control: "http://127.0.0.1:1", PID: os.Getppid()}
	require.NoError(t, WriteUpState(state, other))
	_, err = StartUp(ctx, top, Options{Dir: "testdata", TrafficOff: true}, state, "/teams/acme")
	require.ErrorIs(t, err, ErrUpRunning)
	require.Contains(t, err.Error(), state)

	// Closing leaves the other's file alone.
	require.NoError(t, u.Close())
	got, err := ReadUpState(state)
	require.NoError(t, err)
	require.Equal(t, other, got)
}

func TestStartUpRemovesItsStateFile(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	state := filepath.Join(t.TempDir(), ".drill", "up.json")
	u, err := StartUp(context.Background(), top, Options{Dir: "testdata", TrafficOff: true}, state, "")
	require.NoError(t, err)
	require.FileExists(t, state)
	require.NoError(t, u.Close())
	require.NoFileExists(t, state)
	require.NoError(t, u.Close(), "safe twice")
	_, err = ReadUpState(state)
	require.ErrorIs(t, err, ErrNotUp)
	_, err = NewControlClient(u.ControlURL(), "").Clear(context.Background())
	require.Equal(t, ctlclient.Unreachable, ctlclient.KindOf(err), "the control API stopped with it: %v", err)
}

func TestReadUpState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "up.json")
	_, err := ReadUpState(state)
	require.ErrorIs(t, err, ErrNotUp)
	require.Contains(t, err.Error(), state+" not found")
	for _, bad := range []string{"{", `{"pid": 1}`, "[]"} {
		require.NoError(t, os.WriteFile(state, []byte(bad), 0o644))
		_, err = ReadUpState(state)
		require.NotErrorIs(t, err, ErrNotUp, bad)
		require.EqualError(t, err, state+" is damaged; restart 'drill up'", bad)
	}
	require.NoError(t, WriteUpState(state, UpState{Control: "http://127.0.0.1:1", PID: 0}))
	_, err = ReadUpState(state)
	require.ErrorIs(t, err, ErrNotUp, "a file naming no process names no running drill up")
}
