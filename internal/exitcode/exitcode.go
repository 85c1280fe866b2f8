package exitcode

import (
	"errors"
	"fmt"
)

// Code is the status drill exits with.
type Code int

// The exit codes of drill. A harness failure is never reported as a
// failed drill, and a failed drill never as success.
const (
	OK      Code = 0 // every drill passed; the command did what it was asked
	Failed  Code = 1 // a drill failed or was inconclusive, or a gate was missed
	Usage   Code = 2 // bad usage or invalid input (flags, team files, features)
	Lint    Code = 3 // lint findings at error level
	Harness Code = 4 // the harness itself failed; says nothing of the team
	// Interrupted is a run stopped by Ctrl-C or SIGTERM: neither the
	// team's failure nor the harness's, and what ran is reported. 128+2,
	// as a shell reports a process its interrupt ended.
	Interrupted Code = 130
)

// codes holds every code in numeric order with its name and meaning.
var codes = []struct {
	code          Code
	name, meaning string
}{
	{OK, "ok", "success: every drill passed and met its gates, or the command did what it was asked"},
	{Failed, "failed", "a drill failed or was inconclusive, or a gate was missed"},
	{Usage, "usage", "bad usage or invalid input"},
	{Lint, "lint", "lint findings at error level"},
	{Harness, "harness", "the harness itself failed (not the team)"},
	{Interrupted, "interrupted", "interrupted (Ctrl-C or SIGTERM): what ran is reported, and is partial"},
}

// All returns every code drill exits with, in numeric order.
func All() []Code {
	out := make([]Code, len(codes))
	for i, c := range codes {
		out[i] = c.code
	}
	return out
}

// String is the code's short name ("usage"); a code drill does not use
// reads "exit status N".
func (c Code) String() string {
	for _, k := range codes {
		if k.code == c {
			return k.name
		}
	}
	return fmt.Sprintf("exit status %d", int(c))
}

// Meaning is one line saying what the code means to whoever runs drill,
// for help texts; empty for a code drill does not use.
func (c Code) Meaning() string {
	for _, k := range codes {
		if k.code == c {
			return k.meaning
		}
	}
	return ""
}

// Carrier is an error that knows the code drill exits with when it
// reaches the command line. Library error types implement it where the
// type alone decides the code.
type Carrier interface {
	error
	ExitCode() Code
}

// coded is an error With attached a code to.
type coded struct {
	err  error
	code Code
}

func (e *coded) Error() string  { return e.err.Error() }
func (e *coded) Unwrap() error  { return e.err }
func (e *coded) ExitCode() Code { return e.code }

// With returns err carrying code; its message and its chain (errors.Is,
// errors.As) are err's. A nil err stays nil. The outermost code wins: a
// caller that knows more than the library that made err decides.
func With(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &coded{err: err, code: code}
}

// Of returns the code err carries: OK for nil, the code of the outermost
// Carrier in err's chain, else Harness (an error nobody classified is the
// harness's, never the team's).
func Of(err error) Code {
	if err == nil {
		return OK
	}
	var c Carrier
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return Harness
}

// SilentError is an exit code whose reason was already printed: the
// command prints nothing more and exits with Code.
type SilentError struct{ Code Code }

func (e SilentError) Error() string  { return "exit status " + fmt.Sprint(int(e.Code)) }
func (e SilentError) ExitCode() Code { return e.Code }

// Silent returns the error of a command that already said why it exits
// with code.
func Silent(code Code) error { return SilentError{Code: code} }

// IsSilent reports whether err's reason was already printed, so that
// nothing more is to be said of it: its code, the one Of returns, is a
// SilentError's.
func IsSilent(err error) bool {
	var c Carrier
	if !errors.As(err, &c) {
		return false
	}
	_, ok := c.(SilentError)
	return ok
}
