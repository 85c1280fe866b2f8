package mockllm

import (
	"sync"
	"time"
)

// JournalEntry is one served request, as the control API lists it.
type JournalEntry struct {
	Time         time.Time `json:"time"`
	Model        string    `json:"model"`
	API          string    `json:"api"` // chat.completions, responses, messages, embeddings
	Stream       bool      `json:"stream"`
	Status       int       `json:"status"`
	InputTokens  int       `json:"input_tokens"`
	OutputTokens int       `json:"output_tokens"`
	CostUSD      float64   `json:"cost_usd"`
	Fault        string    `json:"fault,omitempty"`      // ID of the fault that affected it
	FaultMode    string    `json:"fault_mode,omitempty"` // its mode
	Outcome      string    `json:"outcome,omitempty"`    // e.g. stream cut, client gone
	DurationMS   float64   `json:"duration_ms"`
}

// journal is a bounded ring of recent requests.
type journal struct {
	mu    sync.Mutex
	buf   []JournalEntry
	next  int
	full  bool
	limit int
}

func newJournal(n int) *journal { return &journal{limit: n} }

func (j *journal) add(e JournalEntry) {
	if j.limit <= 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.buf) < j.limit {
		j.buf = append(j.buf, e)
		return
	}
	j.buf[j.next] = e
	j.next = (j.next + 1) % j.limit
	j.full = true
}

// entries returns the journal, oldest first.
func (j *journal) entries() []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]JournalEntry, 0, len(j.buf))
	if j.full {
		out = append(out, j.buf[j.next:]...)
		out = append(out, j.buf[:j.next]...)
	} else {
		out = append(out, j.buf...)
	}
	return out
}
