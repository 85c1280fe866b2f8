//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
)

var errNoBwrap = errors.New("bwrap needs Linux namespaces; this is " + runtime.GOOS)

func probeBwrap() error { return errNoBwrap }

// Run is one step started in bwrap; there is none here.
type Run struct{ Cmd *exec.Cmd }

// Command fails here: bwrap needs Linux.
func (s Step) Command(context.Context) (*Run, error) { return nil, errNoBwrap }

// Start fails here.
func (r *Run) Start() error { return errNoBwrap }

// Started is false here.
func (r *Run) Started() bool { return false }

// StepTempDir is os.TempDir here.
func StepTempDir() string { return "" }
