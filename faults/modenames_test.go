package faults

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/stubs"
)

// TestKindNamesSuggestTheirModes: every app kind sets a mode its mock
// has, and a user who posts the kind's name to the mock's control API
// by hand is told that mode (kinds that also fix parameters, as
// quality-drift does, get the pointer to docs/faults.md instead).
func TestKindNamesSuggestTheirModes(t *testing.T) {
	valid := map[TargetType][]string{TargetProvider: mockllm.Modes(), TargetStub: stubs.Modes}
	seen := 0
	for _, k := range Kinds() {
		if k.Mechanism != App {
			continue
		}
		modes, ok := valid[k.Target]
		require.True(t, ok, "%s: target %s", k.Name, k.Target)
		require.Contains(t, modes, k.Mode, "%s: its mode is not one of its mock's", k.Name)
		err := faultmode.UnknownMode(k.Name, modes)
		if len(k.Fixed) > 0 {
			require.ErrorContains(t, err, "docs/faults.md gives each kind's mode", k.Name)
			continue
		}
		require.Equal(t, k.Mode, faultmode.SuggestMode(k.Name, modes), k.Name)
		require.ErrorContains(t, err, `did you mean "`+k.Mode+`"?`, k.Name)
		seen++
	}
	require.Greater(t, seen, 20, "app kinds checked")
	require.Empty(t, faultmode.SuggestMode("explode", mockllm.Modes()))
	require.Empty(t, faultmode.SuggestMode("no-such-thing", mockllm.Modes()))
}
