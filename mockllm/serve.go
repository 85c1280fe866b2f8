package mockllm

import (
	"encoding/json"
	"iter"
	"net/http"
	"strconv"
	"time"
)

// The pipeline every generating surface shares: plan, generate, wait,
// then the surface's renderer writes the answer, whole or streamed.

// Header values that never change are shared by every answer, as
// nothing edits a header's values in place.
var (
	openaiVersion      = []string{"2020-10-01"}
	openaiOrganization = []string{"org-drill"}
	jsonContentType    = []string{"application/json"}
)

// commonHeaders sets the headers every successful answer has.
func commonHeaders(h http.Header, c *call, p *plan) {
	requestID(h, c, p)
	// Keys are set already canonical, as Header.Set would make them; the
	// constant values are shared, as nothing edits a header in place.
	switch c.provider {
	case ProviderGemini:
		h["Server-Timing"] = []string{"gfet4t7; dur=" + strconv.FormatInt(int64(p.ttft/time.Millisecond), 10)}
	case ProviderBedrock:
		if c.api == "invoke" && !c.stream {
			invokeHeaders(h, p)
		}
	case ProviderAzure:
	default:
		h["Openai-Version"] = openaiVersion
		h["Openai-Organization"] = openaiOrganization
	}
}

// requestID sets the header each provider names its request by, on
// answers and errors alike (the SDKs put it on their errors: openai's
// and Anthropic's requestID, the AWS SDK's $metadata.requestId); the
// Gemini API has none.
func requestID(h http.Header, c *call, p *plan) {
	if c.provider == ProviderGemini {
		return
	}
	var b [20]byte
	p.hdr[0] = string(appendHex(append(b[:0], "req_"...), p.distinct(p.rng.Uint64()), 16))
	id := p.hdr[0:1:1]
	switch c.provider {
	case ProviderAnthropic:
		h["Request-Id"] = id
	case ProviderBedrock:
		h["X-Amzn-Requestid"] = id
	case ProviderAzure:
		h["Apim-Request-Id"] = id
		h["X-Request-Id"] = id
	default:
		h["X-Request-Id"] = id
	}
}

// renderer writes one API's answers.
type renderer interface {
	// full appends a non-streamed answer to b.
	full(b []byte, c *call, p *plan) []byte
	// streamHead, streamUnit and streamTail render a streamed answer; a
	// unit is one output token of choice ci, in tool call ti (or -1 for
	// text), the k-th token of that part.
	streamHead(sw *sseWriter, c *call, p *plan)
	streamUnit(sw *sseWriter, c *call, p *plan, u unit)
	streamTail(sw *sseWriter, c *call, p *plan)
	streamError(sw *sseWriter, c *call, p *plan)
	streamMalformed(sw *sseWriter, c *call, p *plan)
}

type unit struct {
	ci, ti, k int
	tok       string
}

// units yields the output units of p in stream order, without building
// a slice of them for every streamed answer.
func units(p *plan) iter.Seq[unit] {
	return func(yield func(unit) bool) {
		for ci, ch := range p.choices {
			for k, t := range ch.tokens {
				if !yield(unit{ci, -1, k, t}) {
					return
				}
			}
			for ti, tc := range ch.toolCalls {
				for k, t := range tc.args {
					if !yield(unit{ci, ti, k, t}) {
						return
					}
				}
			}
		}
	}
}

// serveChatLike is the request pipeline shared by every generating API.
func (s *Server) serveChatLike(w http.ResponseWriter, r *http.Request, c *call, rd renderer) {
	p := &c.plan
	if !s.begin(w, r, c) {
		return
	}
	defer c.release()
	if f := p.faultMode(ModePromptFilter); f != nil {
		// Only surfaces whose provider answers a blocked prompt with a
		// 200 get here (promptFilterable); Azure's refusal is an error.
		_, streams := rd.(streamBlocker)
		if pb, ok := rd.(promptBlocker); ok && (!c.stream || streams) {
			s.serveBlocked(w, r, c, p, pb, f.Category)
			return
		}
	}
	s.generate(c, p)
	defer p.release()
	commonHeaders(w.Header(), c, p)
	ctx := r.Context()
	if !c.stream {
		if err := s.waitAll(ctx, p); err != nil {
			p.status, p.outcome = 499, "client gone"
			s.finish(c, p)
			return
		}
		bp := bodyBufs.Get().(*[]byte)
		body := rd.full((*bp)[:0], c, p)
		h := w.Header()
		h["Content-Type"] = jsonContentType
		p.hdr[1] = strconv.Itoa(len(body))
		h["Content-Length"] = p.hdr[1:2:2]
		if c.provider == ProviderOpenAI {
			p.hdr[2] = strconv.Itoa(int(s.sleeper.Now().Sub(p.start) / time.Millisecond))
			h["Openai-Processing-Ms"] = p.hdr[2:3:3]
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		recycleBody(bp, body)
		s.finish(c, p)
		return
	}
	h := w.Header()
	ct := "text/event-stream; charset=utf-8"
	if cr, ok := rd.(interface{ contentType() string }); ok {
		ct = cr.contentType()
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache")
	sw := newSSE(w)
	st := s.newStepper(ctx, p, sw)
	st.onErr = func() { rd.streamError(sw, c, p) }
	st.onBad = func() { rd.streamMalformed(sw, c, p) }
	if st.first() != nil {
		p.outcome = "client gone"
		st.stop(c)
		return
	}
	w.WriteHeader(http.StatusOK)
	rd.streamHead(sw, c, p)
	for u := range units(p) {
		if !st.next() {
			st.stop(c)
			return
		}
		rd.streamUnit(sw, c, p, u)
	}
	if !st.end() {
		st.stop(c)
		return
	}
	rd.streamTail(sw, c, p)
	if sw.err != nil {
		p.outcome = "client gone"
	}
	s.finish(c, p)
}

func (p *plan) created() int64 { return p.start.Unix() }

func (p *plan) idString(prefix string) string {
	return string(p.appendID(make([]byte, 0, len(prefix)+24), prefix))
}

// distinct makes a draw of the request's generator an ID of its own:
// requests of the same prompt draw the same numbers, and adding the
// request number times an odd constant sets their IDs apart on one
// server (for a given draw, no two request numbers give the same
// value), while the same seed and requests still give the same IDs.
func (p *plan) distinct(draw uint64) uint64 { return draw + p.id*0x9e3779b97f4a7c15 }

// appendID appends the response ID: prefix, 16 hex digits derived from
// the request number, then the number itself in 8.
func (p *plan) appendID(b []byte, prefix string) []byte {
	var n [20]byte
	b = append(b, prefix...)
	b = appendHex(b, seedFor(string(strconv.AppendUint(n[:0], p.id, 10))), 16)
	return appendHex(b, p.id, 8)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
