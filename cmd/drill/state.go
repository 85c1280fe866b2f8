package main

import (
	"errors"
	"flag"
	"os"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/ctlclient"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/testbed"
)

// controlErr maps an error of a call to one of drill's control APIs (a
// live drill's endpoint, drill up's control API) to its exit code, the
// same for every command: what the server refused is invalid input (2,
// with the server's message); an unreachable server, a server error or an
// answer that is not the API's is the harness's (4).
func controlErr(err error) error {
	switch ctlclient.KindOf(err) {
	case 0:
		return err
	case ctlclient.Rejected, ctlclient.BadURL:
		return exitcode.With(exitcode.Usage, err)
	}
	return exitcode.With(exitcode.Harness, err)
}

// stateErr maps an error reading a state file: none there, or its writer
// ended (notRunning), is bad usage (2: start it first); a file that
// cannot be read or is damaged is the harness's (4).
func stateErr(err, notRunning error) error {
	if errors.Is(err, notRunning) {
		return exitcode.With(exitcode.Usage, err)
	}
	return exitcode.With(exitcode.Harness, err)
}

// liveClient is the client of the live drill at url, else of the one
// recorded in the state folder (found from the working directory
// upward).
func liveClient(url string) (*response.LiveClient, error) {
	if url != "" {
		return response.NewLiveClient(url, "--url"), nil
	}
	sd, err := statedir.Getwd()
	if err != nil {
		return nil, exitcode.With(exitcode.Harness, err)
	}
	info, err := response.ReadLiveFile(sd.Live())
	if err != nil {
		return nil, stateErr(err, response.ErrNoLive)
	}
	return response.NewLiveClient(info.URL, "state file "+sd.Live()), nil
}

// actingUser is who acts in a live drill: --user, else $DRILL_USER, else
// $USER.
func actingUser(user string, e *env) (string, error) {
	who := user
	for _, v := range []string{"DRILL_USER", "USER"} {
		if who == "" {
			who = e.getenv(v)
		}
	}
	if who == "" {
		return "", usageErrorf("who is it? pass --user ID (or set DRILL_USER)")
	}
	return who, nil
}

// upClient is the client of the drill up recorded in the state folder
// (found from the working directory upward).
func upClient() (*testbed.ControlClient, error) {
	sd, err := statedir.Getwd()
	if err != nil {
		return nil, exitcode.With(exitcode.Harness, err)
	}
	st, err := testbed.ReadUpState(sd.Up())
	if err != nil {
		return nil, stateErr(err, testbed.ErrNotUp)
	}
	return testbed.NewControlClient(st.Control, "state file "+sd.Up()), nil
}

// stateFile is the path a flag naming a file of the state folder gives
// (--history, --exporters): its value when set on the command line, even
// empty, else file in the state folder found from the working directory
// upward. The flag's default, shown in help, is file's path relative to
// that folder's directory (statedir.Rel).
func stateFile(fs *flag.FlagSet, name, file string) (string, error) {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if set {
		return fs.Lookup(name).Value.String(), nil
	}
	sd, err := statedir.Getwd()
	if err != nil {
		return "", exitcode.With(exitcode.Harness, err)
	}
	return sd.File(file), nil
}

// openHistory opens the history --history names (drill report, drill
// export, drill history): a file that is not there is bad usage, not a
// new empty history; a Postgres database gets drill's tables if it has
// none yet.
func openHistory(fs *flag.FlagSet) (*history.Store, error) {
	hist, err := stateFile(fs, "history", statedir.HistoryFile)
	if err != nil {
		return nil, err
	}
	dsn, err := history.ParseDSN(hist)
	if err != nil {
		return nil, usageErrorf("--history: %v", err)
	}
	if dsn.Backend == history.SQLite {
		if _, err := os.Stat(dsn.Target); err != nil {
			return nil, usageErrorf("no history at %s (drill run records one; --history to point elsewhere)", dsn.Target)
		}
	}
	return history.Open(hist)
}
