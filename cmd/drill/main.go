package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/drillkit/drill/internal/gctune"
)

func main() {
	gctune.Apply(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if exe, err := os.Executable(); err == nil {
		e.self = &self{path: exe, args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	}
	code := run(ctx, os.Args[1:], e)
	stop()
	os.Exit(int(code))
}
