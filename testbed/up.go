package testbed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/timeline"
)

// UpState is what a running drill up records in its state folder
// (statedir's up.json), for drill inject and drill clear to reach it.
type UpState struct {
	Control   string    `json:"control"` // base URL of the control API
	PID       int       `json:"pid"`
	Team      string    `json:"team"`
	Endpoints Endpoints `json:"endpoints"`
}

// ErrNotUp is wrapped by ReadUpState's error when no drill up runs for
// the state file: it is missing, or the process that wrote it ended.
var ErrNotUp = errors.New("no running 'drill up'")

// ErrUpRunning is wrapped by StartUp's error when another drill up, still
// running, holds the state file.
var ErrUpRunning = errors.New("another drill up runs")

// ReadUpState reads the drill up state file at path. A missing file or
// one whose process ended wraps ErrNotUp; a damaged one is an error
// naming it.
func ReadUpState(path string) (UpState, error) {
	var st UpState
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("%w here (%s not found); start 'drill up' in this directory or above first", ErrNotUp, path)
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Control == "" {
		return st, fmt.Errorf("%s is damaged; restart 'drill up'", path)
	}
	if !statedir.Alive(st.PID) {
		return st, fmt.Errorf("%w: the drill up that wrote %s (pid %d) is no longer running; start 'drill up' again", ErrNotUp, path, st.PID)
	}
	return st, nil
}

// WriteUpState records st in the state file at path, atomically.
func WriteUpState(path string, st UpState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return statedir.Write(path, append(data, '\n'))
}

// Up is a testbed served for a manual game day (drill up): the world, its
// control API on loopback, and the state file that tells drill inject
// and drill clear where the API is.
type Up struct {
	tb    *Testbed
	api   *loopback.Server
	path  string
	state UpState

	alerts     *alerting.Engine // WatchAlerts's; nil until then
	stopAlerts context.CancelFunc
	alertsDone chan struct{}
}

// WatchAlerts evaluates the team's alerting rules (ruleFiles) over the
// testbed's metrics, as a drill does, writing every alert's state change
// to the testbed's event log (Events), until Close. Call it once.
func (u *Up) WatchAlerts(ruleFiles []string, logger *slog.Logger) error {
	if u.alerts != nil {
		return errors.New("testbed: WatchAlerts called twice")
	}
	var targets []alerting.Target
	for _, t := range u.tb.MetricsTargets() {
		targets = append(targets, alerting.Target{Name: t.Name, URL: t.URL})
	}
	log := u.tb.Events()
	ae, err := alerting.New(alerting.Options{Clock: log.Clock(), Log: log, RuleFiles: ruleFiles, Targets: targets,
		Logger: logger, ExternalLabels: map[string]string{"drill": "true"}})
	if err != nil {
		return fmt.Errorf("alerting: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	u.alerts, u.stopAlerts, u.alertsDone = ae, cancel, make(chan struct{})
	go func() {
		defer close(u.alertsDone)
		if err := ae.Run(ctx); err != nil {
			log.Append(timeline.Event{Kind: timeline.HarnessError, Subject: "alerting", Message: "alerting stopped: " + err.Error()})
		}
	}()
	return nil
}

// StartUp starts the testbed of top, serves its control API and records
// it in the state file at stateFile (statedir's up.json), for team (the
// team directory, as recorded). One drill up holds a state file at a
// time: while the process that wrote it runs, StartUp refuses, before
// starting anything, with an error wrapping ErrUpRunning. Other errors
// are the harness's.
func StartUp(ctx context.Context, top Topology, opts Options, stateFile, team string) (_ *Up, err error) {
	if prev, err := ReadUpState(stateFile); err == nil && prev.PID != os.Getpid() {
		return nil, fmt.Errorf("%w (pid %d, state file %s); stop it first, or start this one in another directory", ErrUpRunning, prev.PID, stateFile)
	}
	tb, err := Start(ctx, top, opts)
	if err != nil {
		return nil, err
	}
	u := &Up{tb: tb, path: stateFile}
	defer func() {
		if err != nil {
			err = errors.Join(err, u.Close())
		}
	}()
	if u.api, err = loopback.Serve("", tb.ControlHandler(), nil); err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	u.state = UpState{Control: u.api.URL(), PID: os.Getpid(), Team: team, Endpoints: tb.Endpoints()}
	if err := WriteUpState(stateFile, u.state); err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	return u, nil
}

// Testbed is the running world.
func (u *Up) Testbed() *Testbed { return u.tb }

// ControlURL is the control API's base URL.
func (u *Up) ControlURL() string { return u.state.Control }

// StateFile is the path of the state file.
func (u *Up) StateFile() string { return u.path }

// Close removes the state file (only if it is still this drill up's, never
// one another drill up wrote since), stops the control API and tears the
// testbed down. It returns the testbed's teardown error; safe twice.
func (u *Up) Close() error {
	if cur, err := ReadUpState(u.path); err == nil && u.state.Control != "" && cur.PID == u.state.PID && cur.Control == u.state.Control {
		_ = os.Remove(u.path)
	}
	if u.api != nil {
		_ = u.api.Close(5 * time.Second)
	}
	var alertErr error
	if u.alerts != nil {
		u.stopAlerts()
		<-u.alertsDone
		alertErr = u.alerts.Close()
	}
	return errors.Join(u.tb.Close(), alertErr)
}
