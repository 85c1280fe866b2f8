package gctune

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApplySetsAndRestores(t *testing.T) {
	before, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(before)
	restore := apply(func(string) string { return "" }, func(string) ([]byte, error) { return nil, os.ErrNotExist })
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

// In a container with less memory than the default limit, the soft limit
// is three quarters of the container's; "max" or a large limit keeps the
// default, and so does a machine without cgroup files.
func TestMemoryLimitFollowsTheContainer(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(p string) ([]byte, error) {
			if v, ok := m[p]; ok {
				return []byte(v), nil
			}
			return nil, os.ErrNotExist
		}
	}
	require.Equal(t, int64(MemoryLimit), memoryLimit(files(nil)))
	require.Equal(t, int64(MemoryLimit), memoryLimit(files(map[string]string{"/sys/fs/cgroup/memory.max": "max\n"})))
	require.Equal(t, int64(384<<20), memoryLimit(files(map[string]string{"/sys/fs/cgroup/memory.max": "536870912\n"})))
	require.Equal(t, int64(MemoryLimit), memoryLimit(files(map[string]string{"/sys/fs/cgroup/memory.max": "17179869184\n"})))
	require.Equal(t, int64(192<<20), memoryLimit(files(map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456"})), "cgroup v1")
	require.Equal(t, int64(MemoryLimit), memoryLimit(files(map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"})), "v1's no limit")
}
