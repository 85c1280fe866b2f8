package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/stubs/incident"
	"github.com/drillkit/drill/testbed"
)

// upStateFile is where a running `drill up` tells `drill inject` and
// `drill clear`, started in the same directory, how to reach it.
var upStateFile = filepath.Join(".drill", "up.json")

// upState is the content of upStateFile.
type upState struct {
	Control   string            `json:"control"` // base URL of the control API
	PID       int               `json:"pid"`
	Team      string            `json:"team"`
	Endpoints testbed.Endpoints `json:"endpoints"`
}

// injectRequest is the body of POST /inject.
type injectRequest struct {
	Kind   string            `json:"kind"`
	Target string            `json:"target,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	For    string            `json:"for,omitempty"`   // duration; empty lasts until clear
	After  string            `json:"after,omitempty"` // start offset
}

func upCommand() *command {
	return &command{
		name:    "up",
		summary: "start one testbed for a manual game day and serve a control API for inject and clear",
		usage:   "[--team DIR] [--toxiproxy URL] [--no-traffic] [--seed N]",
		help: `
Starts the team's world from drill.yaml (providers, stubs, service under
test, traffic), every upstream behind its own toxiproxy proxy, and prints
every endpoint. Then it serves a small control API on loopback, whose URL it
writes to .drill/up.json in the working directory, for 'drill inject' and
'drill clear' run from the same directory. Runs until interrupted (Ctrl-C),
then tears everything down. A crash of the service under test ends it with
exit status 4. It also serves an incident-service stub in GitLab's GraphQL
shape, to rehearse 'drill export' against (its URL is printed; GET
/_drill/requests lists what it received, credentials redacted). One drill
up runs per directory.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			dir := fs.String("team", "", "team directory holding drill.yaml (default: drill.yaml here or above)")
			toxi := fs.String("toxiproxy", "", "use the toxiproxy server at this API URL instead of the embedded one")
			noTraffic := fs.Bool("no-traffic", false, "do not start the topology's traffic")
			seed := fs.Uint64("seed", 0, "seed for the mocks (default: the topology's seeds)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("up takes no arguments, got %q", strings.Join(args, " "))
				}
				return runUp(ctx, e, *dir, *toxi, *noTraffic, *seed)
			}
		},
	}
}

func runUp(ctx context.Context, e *env, dir, toxi string, noTraffic bool, seed uint64) error {
	t, cleanup, err := loadTeam(e, dir)
	if err != nil {
		return err
	}
	defer cleanup()
	top, err := scenarios.Validate(t)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// One drill up per directory: inject and clear find it by its file.
	if prev, err := readUpState(); err == nil && prev.PID != os.Getpid() && processAlive(prev.PID) {
		return usageErrorf("another drill up (pid %d) runs in this directory; stop it first, or start this one in another directory", prev.PID)
	}
	start := time.Now()
	tb, err := testbed.Start(ctx, top, testbed.Options{Dir: t.Dir, TrafficOff: noTraffic, Seed: seed, Toxiproxy: toxi})
	if err != nil {
		return withCode(exitHarness, err)
	}
	defer tb.Close()

	api, err := loopback.Serve("", upHandler(tb), nil)
	if err != nil {
		return withCode(exitHarness, fmt.Errorf("control API: %w", err))
	}
	defer api.Close(5 * time.Second)
	control := api.URL()

	st := upState{Control: control, PID: os.Getpid(), Team: t.Dir, Endpoints: tb.Endpoints()}
	if err := writeUpState(st); err != nil {
		return withCode(exitHarness, err)
	}
	defer func() {
		// Only our own file: never one another drill up wrote since.
		if cur, err := readUpState(); err == nil && cur.PID == st.PID && cur.Control == st.Control {
			_ = os.Remove(upStateFile)
		}
	}()

	printEndpoints(e.stdout, tb, control, time.Since(start))
	// An incident-service stub (GitLab's GraphQL shape) for demos of
	// drill export against this game day: it validates and records what
	// it receives.
	if stub, err := openIncidentStub(); err != nil {
		fmt.Fprintf(e.stderr, "drill up: warning: no incident-service stub: %v\n", err)
	} else {
		defer stub.Close()
		fmt.Fprintf(e.stdout, "incident-service stub (GitLab GraphQL): %s (recorded requests: GET %s)\n",
			stub.URL(), strings.TrimSuffix(stub.URL(), "/graphql")+"/_drill/requests")
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.stdout, "tearing down")
		if err := tb.Close(); err != nil {
			return withCode(exitHarness, err)
		}
		return nil
	case err := <-tb.Err():
		return withCode(exitHarness, err)
	}
}

func writeUpState(st upState) error {
	if err := os.MkdirAll(filepath.Dir(upStateFile), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(upStateFile, append(data, '\n'), 0o644)
}

func printEndpoints(w io.Writer, tb *testbed.Testbed, control string, took time.Duration) {
	e := tb.Endpoints()
	fmt.Fprintf(w, "testbed up in %s\n\n", took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "service (%s)\t%s\n", e.Service.Form, e.Service.URL)
	if e.Service.Admin != "" {
		fmt.Fprintf(tw, "  admin\t%s\n", e.Service.Admin)
	}
	for _, kind := range []struct {
		what string
		m    map[string]testbed.Upstream
	}{{"provider", e.Providers}, {"stub", e.Stubs}} {
		names := make([]string, 0, len(kind.m))
		for n := range kind.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			u := kind.m[n]
			fmt.Fprintf(tw, "%s %s\t%s (proxied; direct %s)\n", kind.what, n, u.URL, u.Direct)
		}
	}
	fmt.Fprintf(tw, "toxiproxy API\t%s\n", e.Toxiproxy.URL)
	for _, m := range tb.MetricsTargets() {
		fmt.Fprintf(tw, "metrics %s\t%s\n", m.Name, m.URL)
	}
	fmt.Fprintf(tw, "control API\t%s (written to %s)\n", control, upStateFile)
	tw.Flush()
	fmt.Fprint(w, "\nInject faults with 'drill inject FAULT [key=value ...] [--target NAME] [--for 2m]' and\nremove them with 'drill clear', from this directory. 'drill faults' lists the kinds.\nCtrl-C tears everything down.\n")
}

// upHandler serves the control API: POST /inject, POST /clear, GET /status.
func upHandler(tb *testbed.Testbed) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /inject", func(w http.ResponseWriter, r *http.Request) {
		var req injectRequest
		if err := faultmode.DecodeStrict(r.Body, &req); err != nil {
			faultmode.WriteError(w, http.StatusBadRequest, err)
			return
		}
		var s faults.Schedule
		for _, d := range []struct {
			name string
			text string
			dst  *time.Duration
		}{{"for", req.For, &s.Duration}, {"after", req.After, &s.Start}} {
			if d.text == "" {
				continue
			}
			v, err := time.ParseDuration(d.text)
			if err != nil || v < 0 {
				faultmode.WriteError(w, http.StatusBadRequest, fmt.Errorf("--%s: want a duration such as 30s or 2m, got %q", d.name, d.text))
				return
			}
			*d.dst = v
		}
		// The fault outlives this request: it lasts until its schedule
		// ends, clear, or teardown.
		a, err := tb.Inject(context.WithoutCancel(r.Context()), req.Kind, req.Target, req.Params, s)
		if err != nil {
			faultmode.WriteError(w, http.StatusBadRequest, err)
			return
		}
		faultmode.WriteJSON(w, http.StatusOK, map[string]any{"id": a.ID, "kind": a.Spec.Kind, "target": a.Target, "spec": a.Spec.String(), "on": a.On()})
	})
	mux.HandleFunc("POST /clear", func(w http.ResponseWriter, r *http.Request) {
		err := tb.ClearFaults(r.Context())
		body := map[string]any{"evidence": tb.Evidence(r.Context())}
		if err != nil {
			body["error"] = err.Error()
		}
		faultmode.WriteJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		faultmode.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": tb.Endpoints(), "evidence": tb.Evidence(r.Context())})
	})
	return faultmode.LoopbackOnly(mux)
}

// readUpState finds the running `drill up` of this directory.
func readUpState() (upState, error) {
	var st upState
	data, err := os.ReadFile(upStateFile)
	if errors.Is(err, os.ErrNotExist) {
		return st, usageErrorf("no running 'drill up' here (%s not found); start 'drill up' in this directory first", upStateFile)
	}
	if err != nil {
		return st, withCode(exitHarness, err)
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Control == "" {
		return st, withCode(exitHarness, fmt.Errorf("%s is damaged; restart 'drill up'", upStateFile))
	}
	if !processAlive(st.PID) {
		return st, usageErrorf("the drill up that wrote %s (pid %d) is no longer running; start 'drill up' again", upStateFile, st.PID)
	}
	return st, nil
}

// processAlive reports whether a process with this pid exists (on this
// machine: the state files are local).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func callUp(ctx context.Context, st upState, path string, body any, out any) error {
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.Control+path, bytes.NewReader(data))
	if err != nil {
		return withCode(exitHarness, err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return withCode(exitHarness, fmt.Errorf("'drill up' at %s does not answer (%v); is it still running?", st.Control, err))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return usageErrorf("%s", msg)
	}
	return json.Unmarshal(raw, out)
}

func injectCommand() *command {
	return &command{
		name:    "inject",
		summary: "inject a fault into the testbed of a running 'drill up'",
		usage:   "FAULT [key=value ...] [--target NAME] [--for 2m] [--after 30s]",
		help: `
FAULT is a kind of the catalog ('drill faults' lists kinds and parameters).
--target names a provider or stub (network kinds act on its proxy); without
it, provider and network kinds hit the first provider and stub kinds the
first stub. The fault lasts --for, or until 'drill clear'.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			target := fs.String("target", "", "provider or stub to hit")
			dur := fs.String("for", "", "how long the fault lasts (default: until drill clear)")
			after := fs.String("after", "", "start the fault after this long")
			return func(ctx context.Context, e *env, pos []string) error {
				if len(pos) == 0 {
					return usageErrorf("name a fault kind; 'drill faults' lists them")
				}
				req := injectRequest{Kind: pos[0], Target: *target, For: *dur, After: *after, Params: map[string]string{}}
				for _, kv := range pos[1:] {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return usageErrorf("parameter %q: want key=value", kv)
					}
					req.Params[k] = v
				}
				st, err := readUpState()
				if err != nil {
					return err
				}
				var out struct {
					ID, Target, Spec string
				}
				if err := callUp(ctx, st, "/inject", req, &out); err != nil {
					return err
				}
				when := ""
				if req.After != "" {
					when += ", starting in " + req.After
				}
				if req.For != "" {
					when += ", for " + req.For
				} else {
					when += ", until drill clear"
				}
				fmt.Fprintf(e.stdout, "%s on %s: %s%s\n", out.ID, out.Target, out.Spec, when)
				return nil
			}
		},
	}
}

func clearCommand() *command {
	return &command{
		name:    "clear",
		summary: "remove every fault from the testbed of a running 'drill up' and show their evidence",
		usage:   "",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("clear takes no arguments")
				}
				st, err := readUpState()
				if err != nil {
					return err
				}
				var out struct {
					Evidence []testbed.Evidence `json:"evidence"`
					Error    string             `json:"error"`
				}
				if err := callUp(ctx, st, "/clear", struct{}{}, &out); err != nil {
					return err
				}
				if len(out.Evidence) == 0 {
					fmt.Fprintln(e.stdout, "no faults were injected")
				} else {
					fmt.Fprintln(e.stdout, "every fault is off; evidence of each fault injected since drill up started:")
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				for _, ev := range out.Evidence {
					fmt.Fprintf(tw, "%s\t%s\taffected %d (%s)\n", ev.ID, ev.Target, ev.Affected, ev.Source)
				}
				tw.Flush()
				if out.Error != "" {
					return withCode(exitHarness, errors.New(out.Error))
				}
				return nil
			}
		},
	}
}

// openIncidentStub starts the GitLab-shaped incident-service stub.
func openIncidentStub() (*incident.Server, error) {
	sdl, err := export.PresetSchema("gitlab")
	if err != nil {
		return nil, err
	}
	schema, err := incident.LoadSchema("gitlab.graphql", sdl)
	if err != nil {
		return nil, err
	}
	return incident.Open(schema, "127.0.0.1:0")
}
