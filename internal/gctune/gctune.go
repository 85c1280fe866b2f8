package gctune

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Percent is the GOGC drill runs with unless GOGC is set.
const Percent = 400

// MemoryLimit is the soft memory limit drill runs with unless GOMEMLIMIT
// is set: above it the collector works harder instead of the heap
// growing further. In a container with less memory, the limit is three
// quarters of the container's instead, so that the larger heap GOGC=400
// allows never gets the process killed for memory the collector could
// have freed.
const MemoryLimit = 1 << 30

// Apply sets the collector for drill's workload, leaving each setting the
// environment gives alone (getenv is os.Getenv), and returns a function
// that puts back the settings it replaced.
func Apply(getenv func(string) string) (restore func()) {
	return apply(getenv, os.ReadFile)
}

func apply(getenv func(string) string, readFile func(string) ([]byte, error)) (restore func()) {
	percent, limit := -2, int64(-1)
	if getenv("GOGC") == "" {
		percent = debug.SetGCPercent(Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(memoryLimit(readFile))
	}
	return func() {
		if percent != -2 {
			debug.SetGCPercent(percent)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// memoryLimit is MemoryLimit, or three quarters of the cgroup's memory
// limit (v2 memory.max, else v1 memory.limit_in_bytes) when that is less.
func memoryLimit(readFile func(string) ([]byte, error)) int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := readFile(p)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 { // "max": no limit
			break
		}
		if quarter := n / 4 * 3; quarter < MemoryLimit {
			return quarter
		}
		break
	}
	return MemoryLimit
}
