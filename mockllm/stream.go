package mockllm

import (
	"context"
	"fmt"
	"net/http"
)

// Streaming: the stepper paces a streamed answer's units with the
// latency plan and fires stream faults at their token.

// stepper drives the output units of a streamed answer with the latency
// plan and the stream faults.
type stepper struct {
	s      *Server
	ctx    context.Context
	p      *plan
	pace   *pacer
	i      int
	sw     *sseWriter
	cut    bool
	onErr  func()
	onBad  func()
	doneAt int // unit index where the stream fault fires, -1 none
}

func (s *Server) newStepper(ctx context.Context, p *plan, sw *sseWriter) *stepper {
	st := &stepper{s: s, ctx: ctx, p: p, pace: newPacer(s.sleeper), sw: sw, doneAt: -1}
	if f := p.fault; f != nil {
		switch f.Mode {
		case ModeStreamCut, ModeStreamStall, ModeMalformedChunk, ModeStreamErrorEvent:
			st.doneAt = f.Params.AfterTokens
		}
	}
	return st
}

// first waits the time to first token.
func (st *stepper) first() error {
	return st.pace.wait(st.ctx, st.p.ttft)
}

// next is called before each unit; it waits the inter-token latency and
// applies a stream fault when its token count is reached. It returns
// false when the stream must end now.
func (st *stepper) next() bool {
	if st.i > 0 && st.i-1 < len(st.p.itl) {
		if st.pace.wait(st.ctx, st.p.itl[st.i-1]) != nil {
			st.p.outcome = "client gone"
			return false
		}
	}
	if st.sw.err != nil {
		st.p.outcome = "client gone"
		return false
	}
	if st.i == st.doneAt && !st.fire() {
		return false
	}
	st.i++
	return true
}

// end is called after the last unit: a stream fault whose token count was
// not reached fires now, before the stream's terminator.
func (st *stepper) end() bool {
	if st.doneAt >= st.i {
		return st.fire()
	}
	return st.sw.err == nil
}

func (st *stepper) fire() bool {
	st.doneAt = -1
	switch st.p.fault.Mode {
	case ModeStreamCut:
		st.p.outcome = fmt.Sprintf("stream cut after %d tokens", st.i)
		st.cut = true
		return false
	case ModeStreamStall:
		if st.s.sleeper.Sleep(st.ctx, st.p.fault.Params.delay()) != nil {
			st.p.outcome = "client gone during stall"
			return false
		}
		st.pace = newPacer(st.s.sleeper)
	case ModeMalformedChunk:
		st.onBad()
	case ModeStreamErrorEvent:
		st.onErr()
		st.p.outcome = fmt.Sprintf("error event after %d tokens", st.i)
		return false
	}
	return true
}

// stop ends a stream early: it records the request and, for a cut,
// aborts the connection so the client sees the stream end without its
// terminator.
func (st *stepper) stop(c *call) {
	st.s.finish(c, st.p)
	if st.cut {
		panic(http.ErrAbortHandler)
	}
}
