package faults

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// connTracker follows the connections of every proxy from toxiproxy's own
// structured log: "Accepted client" (info, fields name and client) when a
// proxy accepts a connection, and "Remove link" (trace, fields proxy and
// link) when one direction of it ends. It is the only record of
// connections the toxiproxy server keeps that a caller can read: its
// connection list is private and its Prometheus counters count bytes, and
// only when a connection closes.
type connTracker struct {
	mu       sync.Mutex
	open     map[string]map[string]bool // proxy → client address
	accepted map[string]int64           // proxy → connections accepted
	watches  map[string]map[*connWatch]struct{}
	partial  []byte // an unfinished line (container log streams)
	// closesHidden is set when the log shows no closed connections (a
	// server whose global log level hides trace events): the open set is
	// then unknown and a watch counts only connections accepted during it.
	closesHidden bool
}

func newConnTracker() *connTracker {
	return &connTracker{open: map[string]map[string]bool{}, accepted: map[string]int64{}, watches: map[string]map[*connWatch]struct{}{}}
}

// logLine is the part of a toxiproxy log event the tracker reads.
type logLine struct {
	Message string `json:"message"`
	Name    string `json:"name"`   // the proxy, on proxy events
	Client  string `json:"client"` // on "Accepted client"
	Proxy   string `json:"proxy"`  // on link events
	Link    string `json:"link"`   // client address + "upstream"|"downstream"
}

var (
	markAccepted = []byte("Accepted client")
	markRemoved  = []byte("Remove link")
)

// Write takes zerolog output: one JSON event per call from the embedded
// server, or arbitrary chunks of newline-separated events from a
// container's log stream.
func (t *connTracker) Write(p []byte) (int, error) {
	n := len(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.partial) > 0 {
		p = append(t.partial, p...)
		t.partial = nil
	}
	for len(p) > 0 {
		line, rest, found := bytes.Cut(p, []byte{'\n'})
		if !found {
			if json.Valid(line) {
				t.line(line)
			} else {
				t.partial = append([]byte(nil), line...)
			}
			break
		}
		t.line(line)
		p = rest
	}
	return n, nil
}

func (t *connTracker) line(b []byte) {
	// Most events are neither; skip them without decoding.
	if !bytes.Contains(b, markAccepted) && !bytes.Contains(b, markRemoved) {
		return
	}
	var l logLine
	if json.Unmarshal(b, &l) != nil {
		return
	}
	switch {
	case l.Message == "Accepted client" && l.Name != "" && l.Client != "":
		if t.open[l.Name] == nil {
			t.open[l.Name] = map[string]bool{}
		}
		t.open[l.Name][l.Client] = true
		t.accepted[l.Name]++
		for w := range t.watches[l.Name] {
			w.seen[l.Client] = struct{}{}
		}
	case strings.HasPrefix(l.Message, "Remove link") && l.Proxy != "":
		client := strings.TrimSuffix(strings.TrimSuffix(l.Link, "upstream"), "downstream")
		delete(t.open[l.Proxy], client)
	}
}

// watch starts counting the connections of proxy: those open now and those
// accepted until stop.
func (t *connTracker) watch(proxy string) *connWatch {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := &connWatch{t: t, proxy: proxy, seen: map[string]struct{}{}}
	if !t.closesHidden {
		for c := range t.open[proxy] {
			w.seen[c] = struct{}{}
		}
	}
	if t.watches[proxy] == nil {
		t.watches[proxy] = map[*connWatch]struct{}{}
	}
	t.watches[proxy][w] = struct{}{}
	return w
}

// openConns returns how many connections of proxy are open.
func (t *connTracker) openConns(proxy string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open[proxy])
}

// acceptedConns returns how many connections proxy accepted in all.
func (t *connTracker) acceptedConns(proxy string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.accepted[proxy]
}

// connWatch counts the connections a fault was exposed to.
type connWatch struct {
	t     *connTracker
	proxy string
	seen  map[string]struct{}
}

func (w *connWatch) count() int64 {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	return int64(len(w.seen))
}

func (w *connWatch) stop() {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	delete(w.t.watches[w.proxy], w)
}
