// Package exitcode names the codes drill exits with and carries them on
// errors.
//
// A code is attached once, where the cause of an error is known: a library
// error type that always means one code says so with an ExitCode method
// (testbed.HarnessError is Harness), and a caller that knows more wraps
// an error with With (a team file that does not load is Usage). cmd/drill
// reads the code once, with Of, when a command returns; an error that
// carries no code is a failure of the harness, never a failed drill.
//
// Silent is an exit code whose reason was already printed (a failed
// drill's scorecard, lint findings): the command prints nothing more.
//
// exitcode imports only the standard library.
package exitcode
