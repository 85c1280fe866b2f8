package main

import (
	"fmt"

	"github.com/drillkit/drill/internal/exitcode"
)

// usageErrorf is a bad-usage error (exit 2) formatted as fmt.Errorf does:
// the one helper that writes usage errors; every other code is attached
// with exitcode.With or exitcode.Silent.
func usageErrorf(format string, args ...any) error {
	return exitcode.With(exitcode.Usage, fmt.Errorf(format, args...))
}
