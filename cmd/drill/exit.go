package main

import (
	"fmt"

	"github.com/drillkit/drill/internal/exitcode"
)

// The exit codes, as package exitcode names them. These names and the
// helpers below are shorthands over exitcode, kept while call sites move
// to it.
const (
	exitOK          = exitcode.OK
	exitFailed      = exitcode.Failed
	exitUsage       = exitcode.Usage
	exitLint        = exitcode.Lint
	exitHarness     = exitcode.Harness
	exitInterrupted = exitcode.Interrupted
)

// withCode is exitcode.With: err carrying code; a nil err stays nil.
func withCode(code exitcode.Code, err error) error { return exitcode.With(code, err) }

// usageErrorf is a bad-usage error (exit 2).
func usageErrorf(format string, args ...any) error {
	return exitcode.With(exitcode.Usage, fmt.Errorf(format, args...))
}

// codeOf is exitcode.Of: an error that carries no code is a harness
// failure.
func codeOf(err error) exitcode.Code { return exitcode.Of(err) }

// silentError is exitcode.Silent: an exit code whose reason was already
// printed (a failed drill's scorecard, lint findings); run prints nothing
// more.
type silentError struct{ code exitcode.Code }

func (e silentError) Error() string { return exitcode.Silent(e.code).Error() }
func (e silentError) Unwrap() error { return exitcode.Silent(e.code) }
