//go:build !unix

package response

import (
	"context"
	"runtime"
	"time"

	"github.com/drillkit/drill/internal/sandbox"
)

// runStep is unix-only: the sandbox needs process groups.
func (e *Engine) runStep(context.Context, stepSpec) stepResult { return unsupported() }

func unsupported() stepResult {
	return stepResult{status: "error", exitCode: -1, output: "drill: runbook steps cannot run on " + runtime.GOOS + " (the sandbox needs unix process groups); use dry-run"}
}

// stepProc is a started step; none starts here.
type stepProc struct{ isolation sandbox.Steps }

func (e *Engine) startStep(context.Context, stepSpec, time.Duration) (*stepProc, stepResult) {
	return nil, unsupported()
}

func (p *stepProc) stop() stepResult { return unsupported() }
