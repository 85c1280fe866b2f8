//go:build !unix

package response

import (
	"context"
	"runtime"
)

// runStep is unix-only: the sandbox needs process groups.
func (e *Engine) runStep(context.Context, string, string) stepResult {
	return stepResult{status: "error", exitCode: -1, output: "drill: runbook steps cannot run on " + runtime.GOOS + " (the sandbox needs unix process groups); use dry-run"}
}
