package gctune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApplySetsAndRestores(t *testing.T) {
	before, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(before)
	restore := Apply(func(string) string { return "" })
	require.Equal(t, Percent, debug.SetGCPercent(Percent))
	require.Equal(t, int64(MemoryLimit), debug.SetMemoryLimit(-1))
	restore()
	require.Equal(t, 100, debug.SetGCPercent(100))
	require.Equal(t, limit, debug.SetMemoryLimit(-1))
}

func TestEnvironmentWins(t *testing.T) {
	before, limit := debug.SetGCPercent(50), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(before)
	restore := Apply(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "4GiB"}[k] })
	defer restore()
	require.Equal(t, 50, debug.SetGCPercent(50), "GOGC set: left alone")
	require.Equal(t, limit, debug.SetMemoryLimit(-1), "GOMEMLIMIT set: left alone")
}
