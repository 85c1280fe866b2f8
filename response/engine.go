package response

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Options configure an Engine. Zero values of the sandbox limits take the
// defaults of DefaultOptions; a zero GroupWait or ManualStepCost is zero.
type Options struct {
	Clock      timeline.Clock
	Log        *timeline.Log
	Escalation *team.Escalation
	// Alertmanager, when set, routes alerts through the team's
	// alertmanager.yml instead of Escalation's routes: (see targets); nil
	// takes Team.Alertmanager when Team is set.
	Alertmanager *team.Alertmanager
	// Team holds the runbooks and the section names; nil runs no runbook.
	Team       *team.Team
	Responders ResponderConfig

	// Variables are bound for runbook commands, already resolved against
	// the testbed (GATEWAY_ADMIN=http://127.0.0.1:4711/admin).
	Variables map[string]string
	// PassEnv names host variables passed through to runbook commands.
	// Credential-looking names are refused.
	PassEnv []string

	// GroupBy are the labels that group alerts into one page (default
	// alertname); GroupWait is how long a new group collects alerts before
	// the first page, in drill time (Alertmanager's group_wait). Both are
	// unused when Alertmanager routes: its matched route's group_by and
	// group_wait apply.
	GroupBy   []string
	GroupWait time.Duration
	// ManualStepCost is the drill time a responder spends on a prose-only
	// step.
	ManualStepCost time.Duration
	// StepTimeout bounds each command in real time: drill time compresses,
	// commands do not.
	StepTimeout time.Duration
	// OutputLimit caps the captured output of a step, in bytes.
	OutputLimit int
	// DryRun, when set, receives what each step would run; nothing runs.
	DryRun io.Writer
	// Seed makes the simulated acknowledgement delays reproducible.
	Seed uint64
	// Limits bound each incident's pages, notifications and events;
	// zero fields take DefaultLimits.
	Limits Limits

	// Live sends pages to humans: Pager shows them, and the loopback
	// endpoint at URL() takes their acknowledgements. No responder is
	// simulated and no runbook is executed: the people in the room do it.
	Live     bool
	LiveAddr string // default 127.0.0.1:0
	Pager    io.Writer
	// LiveAtSpeed lets a live engine run on a compressed clock: for tests
	// of a whole live drill through its control API, never for people,
	// whose deadlines are real time.
	LiveAtSpeed bool

	Logger *slog.Logger
}

// DefaultOptions returns the defaults: group by alertname, 30s group wait,
// 2m per manual step, 60s step timeout, 64 KiB of output per step.
func DefaultOptions() Options {
	return Options{
		GroupBy:        []string{"alertname"},
		GroupWait:      30 * time.Second,
		ManualStepCost: 2 * time.Minute,
		StepTimeout:    60 * time.Second,
		OutputLimit:    64 << 10,
		Responders:     ResponderConfig{Users: map[string]Responder{}, Default: DefaultResponder},
	}
}

// Engine routes firing alerts to escalation policies, simulates (or, live,
// waits for) the responders, and executes the runbook of the acknowledged
// alert.
type Engine struct {
	opt    Options
	clock  timeline.Clock
	log    *timeline.Log
	esc    *team.Escalation
	am     *team.Alertmanager // nil: the escalation routes: route
	logger *slog.Logger
	bash   string
	env    []string // base environment of runbook commands
	hidden []string // directories runbook steps see empty (sandbox.Hidden)
	dryMu  sync.Mutex

	events *timeline.Follower // alert events, from New on
	stop   chan struct{}      // closed by Close

	failure  chan error // the first harness failure (Err)
	failOnce sync.Once

	mu     sync.Mutex
	groups map[string]*incident
	// alerts is the latest episode of every alert seen, by fingerprint:
	// what the inhibit_rules of the team's alertmanager.yml look at.
	alerts      map[string]*episode
	alertSeq    int
	unavailable map[string]bool
	// liveRunbooks are the runbooks opened by live acknowledgements, in
	// order; steps are marked on the last.
	liveRunbooks []*LiveRunbook
	pages        []Page
	seq          int
	running      bool

	wg     sync.WaitGroup
	srv    *loopback.Server
	url    string
	closed sync.Once
}

// Page is one page sent to a person, as GET /pages lists it.
type Page struct {
	Alert   string     `json:"alert"`
	Group   string     `json:"group"`
	Policy  string     `json:"policy"`
	Rule    int        `json:"rule"` // 1-based level of the policy
	Loop    int        `json:"loop"`
	Target  string     `json:"target"`
	User    string     `json:"user"`
	At      time.Time  `json:"at"`
	AckedBy string     `json:"acked_by,omitempty"`
	AckedAt *time.Time `json:"acked_at,omitempty"`
}

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Variables that change how bash or the loader behave before the
	// step's first line runs: a runbook cannot be allowed to bind them.
	shellControl = map[string]bool{"BASH_ENV": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true, "PS4": true,
		"IFS": true, "PROMPT_COMMAND": true, "CDPATH": true, "GLOBIGNORE": true, "LD_PRELOAD": true,
		"LD_LIBRARY_PATH": true, "LD_AUDIT": true, "DYLD_INSERT_LIBRARIES": true, "DYLD_LIBRARY_PATH": true,
		"PATH": true, "HOME": true, "TMPDIR": true}
	// Host credentials that must never reach a drill's commands.
	secretPrefixes = []string{"AWS_", "AZURE_", "ARM_", "GOOGLE_", "GCLOUD_", "GCP_", "CLOUDSDK_", "KUBE", "DOCKER_",
		"VAULT_", "GITHUB_", "GH_", "GITLAB_", "OPENAI_", "ANTHROPIC_", "DIGITALOCEAN_", "HCLOUD_", "OCI_", "SSH_", "GPG_", "NPM_", "PAGERDUTY_"}
	secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "SESSION"}
)

// looksSecret reports whether a host variable name is a credential or
// points at one.
func looksSecret(name string) bool {
	u := strings.ToUpper(name)
	for _, p := range secretPrefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// New checks the options and returns an engine subscribed to the log, so
// alerts appended from now on are not missed before Run. In live mode it
// also binds the acknowledgement endpoint.
func New(opt Options) (*Engine, error) {
	def := DefaultOptions()
	var probs []string
	if opt.Clock == nil {
		probs = append(probs, "Clock is required")
	}
	if opt.Log == nil {
		probs = append(probs, "Log is required")
	}
	if opt.Escalation == nil {
		probs = append(probs, "Escalation is required")
	}
	if opt.Team != nil && opt.Team.Config == nil {
		probs = append(probs, "Team has no Config (section names and runbook annotation come from drill.yaml)")
	}
	if opt.GroupWait < 0 || opt.ManualStepCost < 0 || opt.StepTimeout < 0 || opt.OutputLimit < 0 {
		probs = append(probs, "GroupWait, ManualStepCost, StepTimeout and OutputLimit must not be negative")
	}
	if len(opt.GroupBy) == 0 {
		opt.GroupBy = def.GroupBy
	}
	if opt.StepTimeout == 0 {
		opt.StepTimeout = def.StepTimeout
	}
	if opt.OutputLimit == 0 {
		opt.OutputLimit = def.OutputLimit
	}
	if opt.Responders.Users == nil && opt.Responders.Default == (Responder{}) {
		opt.Responders = def.Responders // a zero ResponderConfig means "not configured"
	}
	if opt.Clock != nil && opt.Live && !opt.LiveAtSpeed && opt.Clock.Speed() != 0 && opt.Clock.Speed() != 1 {
		probs = append(probs, fmt.Sprintf("live mode runs in real time: clock speed must be 1, got %v", opt.Clock.Speed()))
	}
	if opt.Escalation != nil {
		for _, p := range unknownResponders(opt.Responders, opt.Escalation) {
			probs = append(probs, p.String())
		}
		if err := CheckPolicies(opt.Escalation); err != nil {
			probs = append(probs, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	opt.Limits = opt.Limits.withDefaults()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, name := range opt.PassEnv {
		switch {
		case !envName.MatchString(name):
			probs = append(probs, fmt.Sprintf("PassEnv: %q is not a variable name", name))
		case shellControl[name]:
			probs = append(probs, fmt.Sprintf("PassEnv: %s changes how the shell runs; it cannot be passed through", name))
		case looksSecret(name):
			probs = append(probs, fmt.Sprintf("PassEnv: %s looks like a credential; runbook commands in a drill must reach only the testbed", name))
		default:
			if v, ok := os.LookupEnv(name); ok {
				env = append(env, name+"="+v)
			}
		}
	}
	var names []string
	for k := range opt.Variables {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case !envName.MatchString(name):
			probs = append(probs, fmt.Sprintf("Variables: %q is not a variable name", name))
		case shellControl[name]:
			probs = append(probs, fmt.Sprintf("Variables: %s changes how the shell runs; a runbook variable cannot bind it", name))
		default:
			env = append(env, name+"="+opt.Variables[name])
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil && opt.Team != nil && opt.DryRun == nil && !opt.Live {
		probs = append(probs, "bash not found on PATH; runbook steps run in bash -euo pipefail")
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("response: %s", strings.Join(probs, "; "))
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var teamDir string
	if opt.Team != nil {
		teamDir = opt.Team.Dir
	}
	if opt.Alertmanager == nil && opt.Team != nil {
		opt.Alertmanager = opt.Team.Alertmanager
	}
	e := &Engine{
		opt: opt, clock: opt.Clock, log: opt.Log, esc: opt.Escalation, am: opt.Alertmanager, logger: logger,
		bash: bash, env: env, hidden: sandbox.Hidden(teamDir),
		groups: map[string]*incident{}, unavailable: map[string]bool{}, alerts: map[string]*episode{},
		failure: make(chan error, 1),
	}
	if opt.Live {
		if err := e.openLive(); err != nil {
			return nil, err
		}
	}
	e.events, e.stop = opt.Log.Follow(), make(chan struct{})
	return e, nil
}

// Run consumes alert events from the log until ctx ends or Close is
// called, then waits for its incidents to stop. It may run once.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("response: Run called twice")
	}
	e.running = true
	e.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer e.wg.Wait() // runs after cancel: incidents see ctx end
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		evs, err := e.events.Next(ctx)
		if err != nil {
			return nil // ctx ended or Close was called: a normal stop
		}
		for _, ev := range evs {
			switch ev.Kind {
			case timeline.AlertFiring:
				e.firing(ctx, ev)
			case timeline.AlertResolved:
				e.resolved(ev)
			}
		}
	}
}

// Close stops consuming events and closes the live endpoint. It is safe
// to call twice.
func (e *Engine) Close() error {
	var err error
	e.closed.Do(func() {
		close(e.stop)
		if e.srv != nil {
			err = e.srv.Close(2 * time.Second)
		}
	})
	return err
}

// SetUnavailable makes a simulated responder unreachable (or reachable
// again) from now on: the DiRT-style "this person is unreachable" fault.
func (e *Engine) SetUnavailable(user string, unavailable bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.unavailable[user] = unavailable
}

func (e *Engine) available(user string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opt.Responders.For(user).Available && !e.unavailable[user]
}

// Ack acknowledges, as user, every open unacknowledged incident whose
// alerts include alert (every one when alert is empty). It returns how
// many it acknowledged.
func (e *Engine) Ack(user, alert string) (int, error) {
	if user == "" {
		return 0, errors.New("response: ack needs a user")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, in := range e.groups {
		if in.acked || in.done || !in.paged || (alert != "" && !in.names[alert]) {
			continue
		}
		select {
		case in.acks <- ackReq{user: user, at: e.clock.Now()}:
			in.acked = true
			n++
		default:
		}
	}
	return n, nil
}

// Pages returns every page sent so far.
func (e *Engine) Pages() []Page {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Page(nil), e.pages...)
}

// groupKey is the policy plus the group-by label values, as Alertmanager
// groups per route.
func (e *Engine) groupKey(policy string, groupBy []string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(policy)
	b.WriteString("{")
	for i, l := range groupBy {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", l, labels[l])
	}
	b.WriteString("}")
	return b.String()
}

// fingerprint identifies one alert of a group by its full label set.
func fingerprint(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%q", k, labels[k])
	}
	return b.String()
}

func alertLabels(ev timeline.Event) map[string]string {
	l := make(map[string]string, len(ev.Labels)+1)
	for k, v := range ev.Labels {
		l[k] = v
	}
	if l["alertname"] == "" {
		l["alertname"] = ev.Subject
	}
	return l
}

// target is one policy an alert pages: its group key, its group wait and
// (through alertmanager.yml) its group interval.
type target struct {
	policy, key    string
	wait, interval time.Duration
	route          string
	mute, active   []string // the route's time interval names
}

// targets are the policies labels page. With the team's alertmanager.yml
// (Options.Alertmanager) every route Alertmanager's tree matches pages
// its receiver's policy after that route's group_wait, grouped per route
// by the route's group_by; quiet are the matched receivers that page no
// policy. Without it, the first escalation route's policy, after
// Options.GroupWait, grouped by Options.GroupBy.
func (e *Engine) targets(labels map[string]string) (ts []target, quiet []team.AMMatch) {
	if e.am == nil {
		if policy, ok := e.esc.Route(labels); ok {
			ts = append(ts, target{policy: policy, key: e.groupKey(policy, e.opt.GroupBy, labels), wait: e.opt.GroupWait})
		}
		return ts, nil
	}
	for _, m := range e.am.Route(labels) {
		if m.Policy == "" {
			quiet = append(quiet, m)
			continue
		}
		by := m.GroupBy
		if m.GroupByAll {
			by = make([]string, 0, len(labels))
			for k := range labels {
				by = append(by, k)
			}
			sort.Strings(by)
		}
		key := e.groupKey(m.Policy+" via "+m.Receiver+" "+m.Route, by, labels)
		ts = append(ts, target{policy: m.Policy, key: key, wait: m.GroupWait, interval: m.GroupInterval, route: m.Route,
			mute: m.MuteTimeIntervals, active: m.ActiveTimeIntervals})
	}
	return ts, quiet
}

func (e *Engine) firing(ctx context.Context, ev timeline.Event) {
	labels := alertLabels(ev)
	at := ev.At
	if at.IsZero() {
		at = e.clock.Now()
	}
	fp := fingerprint(ev.Subject, labels)
	e.mu.Lock()
	// Every alert is seen, routed or not: Alertmanager's inhibitor looks
	// at all the alerts it receives.
	if ep, ok := e.alerts[fp]; !ok || !ep.until.IsZero() {
		e.alertSeq++
		e.alerts[fp] = &episode{name: ev.Subject, labels: labels, annotations: ev.Attrs, since: at, seq: e.alertSeq}
	}
	e.mu.Unlock()
	ts, quiet := e.targets(labels)
	for _, m := range quiet {
		e.log.Append(timeline.Event{At: at, Kind: timeline.Note, Subject: ev.Subject, Labels: labels,
			Attrs:   map[string]string{"alert": ev.Subject, "receiver": m.Receiver, "route": m.Route, "reason": "receiver_no_policy"},
			Message: fmt.Sprintf("alert %s routes to Alertmanager receiver %s, which pages no escalation policy: nobody is paged through it", ev.Subject, m.Receiver)})
	}
	if len(ts) == 0 {
		msg := fmt.Sprintf("no route matches alert %s and there is no default route: nobody is paged", ev.Subject)
		if e.am != nil {
			msg = fmt.Sprintf("alert %s takes no route of %s whose receiver pages an escalation policy: nobody is paged", ev.Subject, e.am.File)
		}
		e.log.Append(timeline.Event{At: at, Kind: timeline.BrokenLink, Subject: ev.Subject, Labels: labels,
			Attrs:   map[string]string{"alert": ev.Subject, "kind": "route", "reason": "no_route"},
			Message: msg})
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, tg := range ts {
		if in, ok := e.groups[tg.key]; ok {
			in.firing[fp] = labels // dedup: an active group pages once
			in.names[ev.Subject] = true
			continue
		}
		e.seq++
		h := fnv.New64a()
		h.Write([]byte(tg.key))
		in := &incident{
			e: e, id: e.seq, key: tg.key, policyID: tg.policy, groupWait: tg.wait, groupInterval: tg.interval, route: tg.route,
			muteIntervals: tg.mute, activeIntervals: tg.active, alert: ev.Subject,
			labels: labels, annotations: ev.Attrs, start: at, now: at,
			firing:   map[string]map[string]string{fp: labels},
			names:    map[string]bool{ev.Subject: true},
			acks:     make(chan ackReq, 1),
			resolved: make(chan struct{}),
			rng:      rand.New(rand.NewPCG(e.opt.Seed, h.Sum64()^uint64(e.seq))),
		}
		// The incident's context ends with the engine's, or when the
		// incident reaches one of its limits.
		ictx, cancel := context.WithCancel(ctx)
		in.budget = &budget{limits: e.opt.Limits, cancel: cancel}
		e.groups[tg.key] = in
		e.wg.Add(1)
		go in.run(ictx)
	}
}

func (e *Engine) resolved(ev timeline.Event) {
	labels := alertLabels(ev)
	ts, _ := e.targets(labels)
	at := ev.At
	if at.IsZero() {
		at = e.clock.Now()
	}
	fp := fingerprint(ev.Subject, labels)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ep, ok := e.alerts[fp]; ok && ep.until.IsZero() {
		ep.until = at
	}
	for _, tg := range ts {
		in, ok := e.groups[tg.key]
		if !ok {
			continue
		}
		delete(in.firing, fp)
		if len(in.firing) == 0 {
			in.resolvedAt = at
			close(in.resolved)
			delete(e.groups, tg.key)
		}
	}
}

// emit appends an event about the incident.
func (e *Engine) emit(ev timeline.Event) {
	e.log.Append(ev)
	e.logger.Debug("response", "event", ev.String())
}
