package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/internal/tempdir"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
)

// self is how drill runs itself again, in the drill world's network
// namespace: main sets it; a command run in-process (tests) has none and
// runs without one.
type self struct {
	path                  string
	args                  []string
	stdin, stdout, stderr *os.File
}

// envHandoff names the file a drill re-executed in a network namespace
// leaves its scorecard in, for the parent to export: an incident service
// is outside the drill world.
const envHandoff = "DRILL_SANDBOX_HANDOFF"

// addIsolationFlag declares --require-isolation.
func addIsolationFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("require-isolation", false, "fail (exit 4) unless runbook steps run in bwrap and the whole drill world in a private network namespace (bwrap+netns), instead of running with less")
}

// isolation is what isolate settled for the drills of this process, and
// why it is less than bwrap+netns.
type isolation struct {
	sandbox.Isolation
	why []string
}

// isolate puts the drill world of drill run or drill ci in its private
// network namespace, before anything of the command runs: it runs drill
// again there (handled: that child ran the whole command, and err carries
// its exit code). Otherwise (the child itself, or where the namespace
// cannot be had) it returns the isolation the drills here will have;
// check says so, or refuses it, when they are about to run.
func isolate(ctx context.Context, e *env, fs *flag.FlagSet, t *team.Team) (iso isolation, handled bool, err error) {
	off, err := sandbox.Off(os.Getenv)
	if err != nil {
		return iso, false, exitcode.With(exitcode.Usage, err)
	}
	switch {
	case sandbox.Marked():
		ns, err := sandbox.EnterNetNS()
		if err != nil {
			return iso, false, exitcode.With(exitcode.Harness, err)
		}
		iso.NetNS = true
		if !ns.Recording {
			iso.why = append(iso.why, "connections out of the drill world are refused but not recorded: "+ns.Why)
		}
	case off:
		iso.why = append(iso.why, sandbox.EnvVar+"=off")
	default:
		iso.why = netnsBlockers(fs, t)
		switch {
		case e.self == nil:
			iso.why = append(iso.why, "drill runs in-process, not as its own program")
		case len(iso.why) == 0:
			err := runInNetNS(ctx, e, fs)
			var ref *sandbox.Refused
			if !errors.As(err, &ref) {
				return iso, true, err
			}
			iso.why = append(iso.why, err.Error())
		}
	}
	steps, why := sandbox.StepIsolation()
	iso.Steps = steps
	if why != "" && !off {
		iso.why = append([]string{"runbook steps: " + why}, iso.why...)
	}
	return iso, false, nil
}

// check is called when the drills are about to run: it sweeps the
// temporary directories killed drills left, and says once on stderr why
// the isolation is less than bwrap+netns, or, with --require-isolation,
// refuses to run so.
func (iso isolation) check(e *env, fs *flag.FlagSet) error {
	tempdir.Sweep("")
	if d := sandbox.StepTempDir(); d != "" && d != os.TempDir() {
		tempdir.Sweep(d) // where steps run as nobody
	}
	if iso.Full() {
		if len(iso.why) > 0 { // full, with a remark
			fmt.Fprintf(e.stderr, "drill: sandbox %s: %s\n", iso.Isolation, strings.Join(iso.why, "; "))
		}
		return nil
	}
	msg := fmt.Sprintf("sandbox %s, not bwrap+netns: %s", iso.Isolation, strings.Join(iso.why, "; "))
	if fs.Lookup("require-isolation").Value.String() == "true" {
		return exitcode.With(exitcode.Harness, fmt.Errorf("--require-isolation: %s", msg))
	}
	fmt.Fprintf(e.stderr, "drill: %s (see the README's threat model)\n", msg)
	return nil
}

// netnsBlockers are the reasons the drill world cannot be in a private
// network namespace: parts of it, or people, reach it from the host's
// network. A topology that does not parse blocks nothing: the command
// reports it before any world starts.
func netnsBlockers(fs *flag.FlagSet, t *team.Team) []string {
	var why []string
	if flagValue(fs, "live") == "true" {
		why = append(why, "--live: people reach the drill's endpoints from the host (drill ack)")
	}
	if flagValue(fs, "toxiproxy") != "" {
		why = append(why, "--toxiproxy: the proxies are outside the drill world")
	}
	top, err := scenarios.TopologyOf(t)
	if err != nil {
		return why
	}
	if f := top.Service.Form(); f == testbed.FormImage || f == testbed.FormCompose {
		why = append(why, "the service is a container ("+f+":), which reaches the drill world through the host's network, in its own isolation")
	}
	switch top.Toxiproxy.Mode {
	case "external":
		why = append(why, "toxiproxy is external (toxiproxy: url), outside the drill world")
	case "container":
		why = append(why, "toxiproxy runs in a container, which reaches the drill world through the host's network")
	}
	return why
}

// flagValue is the value of the flag name, "" where the command has no
// such flag (drill mutate has no --live or --export).
func flagValue(fs *flag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// runInNetNS runs this drill command again in a private network namespace
// and returns the child's exit code as this one's; a *sandbox.Refused
// error says nothing ran. With --export, the child leaves its scorecard
// in a handoff file and this process exports it.
func runInNetNS(ctx context.Context, e *env, fs *flag.FlagSet) error {
	exportTo := flagValue(fs, "export")
	var rec *recorder
	env := os.Environ()
	var handoff string
	histPath, err := stateFile(fs, "history", statedir.HistoryFile)
	if err != nil {
		return err
	}
	noHist := fs.Lookup("no-history").Value.String() == "true"
	// a Postgres history is outside the drill world, like an incident
	// service: this drill saves the run the child hands over
	if exportTo != "" || (!noHist && history.IsRemote(histPath)) {
		rec, err = newRecorder(e, histPath, noHist, exportTo)
		if err != nil {
			return err
		}
		dir, err := tempdir.Make("", "handoff")
		if err != nil {
			return exitcode.With(exitcode.Harness, err)
		}
		defer os.RemoveAll(dir)
		handoff = dir + "/scorecard.json"
		env = append(env, envHandoff+"="+handoff)
	}
	if e.shardDurations != nil {
		dir, err := tempdir.Make("", "handoff")
		if err != nil {
			return exitcode.With(exitcode.Harness, err)
		}
		defer os.RemoveAll(dir)
		kv, err := handOverDurations(e, dir)
		if err != nil {
			return exitcode.With(exitcode.Harness, err)
		}
		env = append(env, kv)
	}
	code, err := sandbox.RunInNetNS(ctx, sandbox.Child{Path: e.self.path, Args: e.self.args, Env: env,
		Stdin: e.self.stdin, Stdout: e.self.stdout, Stderr: e.self.stderr})
	if err != nil {
		var ref *sandbox.Refused
		if errors.As(err, &ref) {
			return err
		}
		return exitcode.With(exitcode.Harness, err)
	}
	if rec != nil {
		if b, rerr := os.ReadFile(handoff); rerr == nil {
			var card scoring.Scorecard
			if jerr := json.Unmarshal(b, &card); jerr != nil {
				fmt.Fprintf(e.stderr, "drill run: warning: run not exported: the scorecard handed over is unreadable: %v\n", jerr)
			} else {
				rec.exportHandoff(ctx, e, &card)
			}
		}
	}
	if code > 128 && code != int(exitcode.Interrupted) {
		return exitcode.With(exitcode.Harness, fmt.Errorf("drill, in the drill world's network namespace, was killed by signal %d", code-128))
	}
	if code == 0 {
		return nil
	}
	return exitcode.Silent(exitcode.Code(code))
}

// exportHandoff saves a scorecard the child handed over in a remote
// history (the child saved it in a file history itself) and exports it.
func (r *recorder) exportHandoff(ctx context.Context, e *env, card *scoring.Scorecard) {
	var store *history.Store
	if history.IsRemote(r.historyPath) {
		store = r.save(ctx, e, card)
	} else if r.historyPath != "" && r.exporter != nil {
		if s, err := history.Open(r.historyPath); err == nil {
			store = s
		}
	}
	if store != nil {
		defer store.Close()
	}
	if r.exporter == nil {
		return
	}
	if err := exportRun(ctx, e, store, r.exporter, card); err != nil {
		fmt.Fprintf(e.stderr, "drill run: warning: %v; retry with: drill export %s --to %s\n", err, card.RunID, r.exporter.Name())
	}
}

// handoffPath is where this drill, re-executed in a network namespace,
// leaves its scorecard for the parent to export or save in a remote
// history; "" when it does both itself.
func handoffPath() string {
	if !sandbox.InNetNS() {
		return ""
	}
	return os.Getenv(envHandoff)
}

// recordIsolation writes the isolation in force and what the network
// refused on the scorecard.
func recordIsolation(card *scoring.Scorecard, iso isolation) {
	card.Sandbox = iso.Isolation.String()
	blocked, dropped := sandbox.Recorded()
	for _, b := range blocked {
		card.BlockedConnections = append(card.BlockedConnections, scoring.BlockedConnection{
			Proto: b.Proto, Address: b.Address, Count: b.Count, First: b.First, By: b.By})
	}
	if dropped > 0 {
		card.BlockedConnections = append(card.BlockedConnections, scoring.BlockedConnection{
			Proto: "any", Address: fmt.Sprintf("%d more addresses (at most %d are recorded)", dropped, sandbox.MaxBlocked), Count: dropped,
			First: time.Now(), By: []string{"the drill world"}})
	}
}
