package gctune

import (
	"runtime/debug"
)

// Percent is the GOGC drill runs with unless GOGC is set.
const Percent = 400

// MemoryLimit is the soft memory limit drill runs with unless GOMEMLIMIT
// is set: above it the collector works harder instead of the heap
// growing further.
const MemoryLimit = 1 << 30

// Apply sets the collector for drill's workload, leaving each setting the
// environment gives alone (getenv is os.Getenv), and returns a function
// that puts back the settings it replaced.
func Apply(getenv func(string) string) (restore func()) {
	percent, limit := -2, int64(-1)
	if getenv("GOGC") == "" {
		percent = debug.SetGCPercent(Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(MemoryLimit)
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
