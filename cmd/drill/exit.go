package main

import (
	"errors"
	"fmt"
)

// Exit codes, as the design fixes them. A harness failure is never
// reported as a failed drill.
const (
	exitOK      = 0 // every drill passed
	exitFailed  = 1 // a drill failed or a gate was missed
	exitUsage   = 2 // bad usage or invalid input
	exitLint    = 3 // lint findings at error level
	exitHarness = 4 // the harness itself failed
	// exitInterrupted is a run stopped by Ctrl-C or SIGTERM: neither the
	// team's failure nor the harness's, and what ran is reported. 128+2,
	// as a shell reports a process its interrupt ended.
	exitInterrupted = 130
)

// exitError attaches an exit code to an error, once, where the cause is
// known; run reads it back.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode returns err carrying code. A nil err stays nil.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageErrorf is a bad-usage error (exit 2).
func usageErrorf(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// codeOf returns the exit code an error carries; an error that carries
// none is a harness failure.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitHarness
}

// silentError carries an exit code whose reason was already printed (a
// failed drill's scorecard, lint findings): run prints nothing more.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
