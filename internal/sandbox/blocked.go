package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Attempt is one attempt to reach an address outside the drill world,
// refused by its network.
type Attempt struct {
	Proto   string // tcp, udp, icmp, or "ip proto N"
	Address string // 192.0.2.1:80, [2001:db8::1]:443, or an address alone
	// PID is the process that tried (as drill sees it), 0 when it could
	// not be found; Comm is its command name.
	PID  int
	Comm string
	At   time.Time
}

// Blocked is every refused attempt to one address, as the scorecard
// lists them.
type Blocked struct {
	Proto   string
	Address string
	Count   int
	First   time.Time
	// By says who tried: the steps (their labels, as Watch was given
	// them), "while LABEL ran" where the process could not be found and a
	// step was running, or the process of the drill world that tried (the
	// service under test, a stub...).
	By []string
}

func (b Blocked) String() string {
	s := fmt.Sprintf("%s %s", b.Proto, b.Address)
	if b.Count > 1 {
		s += fmt.Sprintf(" ×%d", b.Count)
	}
	if len(b.By) > 0 {
		s += " (" + strings.Join(b.By, "; ") + ")"
	}
	return s
}

// Limits of what a process records: the addresses it keeps, and the
// names of who tried each.
const (
	MaxBlocked   = 256
	maxBlockedBy = 8
)

// Watcher collects the attempts made while one step runs.
type Watcher struct {
	label string
	mu    sync.Mutex
	pid   int
	got   []Blocked
}

type recorder struct {
	mu       sync.Mutex
	all      []Blocked
	dropped  int
	watchers map[*Watcher]bool
	// descends reports whether pid is root or below it (injected: it
	// reads /proc on Linux).
	descends func(pid, root int) bool
}

var rec = &recorder{watchers: map[*Watcher]bool{}, descends: descendsFrom}

// Watch starts collecting the attempts a step makes; label names the step
// on the scorecard. Call SetPID once the step's process runs, and Stop
// after it ended.
func Watch(label string) *Watcher {
	w := &Watcher{label: label}
	rec.mu.Lock()
	rec.watchers[w] = true
	rec.mu.Unlock()
	return w
}

// SetPID names the step's process: an attempt from it or from below it
// is the step's.
func (w *Watcher) SetPID(pid int) {
	w.mu.Lock()
	w.pid = pid
	w.mu.Unlock()
}

// Stop ends the watch and returns the attempts made by the step (or,
// where the process that tried could not be found, while it ran).
func (w *Watcher) Stop() []Blocked {
	rec.mu.Lock()
	delete(rec.watchers, w)
	rec.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Blocked(nil), w.got...)
}

// Recorded returns every attempt this process's network refused, first
// first, and how many addresses were past MaxBlocked and not kept.
func Recorded() ([]Blocked, int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Blocked, len(rec.all))
	for i, b := range rec.all {
		b.By = append([]string(nil), b.By...)
		out[i] = b
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	return out, rec.dropped
}

// record files one attempt under the address and under the watchers it
// belongs to.
func (r *recorder) record(a Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var by []string
	for w := range r.watchers {
		w.mu.Lock()
		pid := w.pid
		w.mu.Unlock()
		switch {
		case a.PID != 0 && pid != 0 && r.descends(a.PID, pid):
			by = append(by, w.label)
			w.add(a, w.label)
		case a.PID == 0:
			by = append(by, "while "+w.label+" ran")
			w.add(a, "while "+w.label+" ran")
		}
	}
	if len(by) == 0 {
		switch {
		case a.PID != 0 && a.Comm != "":
			by = append(by, fmt.Sprintf("the drill world: %s, pid %d", a.Comm, a.PID))
		case a.PID != 0:
			by = append(by, fmt.Sprintf("the drill world: pid %d", a.PID))
		default:
			by = append(by, "the drill world")
		}
	}
	sort.Strings(by)
	r.all = merge(r.all, a, by, &r.dropped)
}

func (w *Watcher) add(a Attempt, by string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var dropped int
	w.got = merge(w.got, a, []string{by}, &dropped)
}

// merge adds a to list: one entry per protocol and address, at most
// MaxBlocked of them (past it, dropped counts the new addresses).
func merge(list []Blocked, a Attempt, by []string, dropped *int) []Blocked {
	for i := range list {
		if list[i].Proto == a.Proto && list[i].Address == a.Address {
			if list[i].Count < 1<<30 {
				list[i].Count++
			}
			for _, b := range by {
				if len(list[i].By) < maxBlockedBy && !contains(list[i].By, b) {
					list[i].By = append(list[i].By, b)
				}
			}
			return list
		}
	}
	if len(list) >= MaxBlocked {
		*dropped++
		return list
	}
	if len(by) > maxBlockedBy {
		by = by[:maxBlockedBy]
	}
	return append(list, Blocked{Proto: a.Proto, Address: a.Address, Count: 1, First: a.At, By: by})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
