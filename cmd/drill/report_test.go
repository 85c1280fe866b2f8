package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/report"
)

// A run stopped by Ctrl-C is kept in the history as interrupted, not as a
// run of harness errors, and the report leaves it out, saying so.
func TestInterruptedRunIsStoredAndLeftOut(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "h.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came at once
	var out, errb bytes.Buffer
	code := run(ctx, []string{"run", "--history", db, "cost-spike"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.Interrupted, code, "stdout: %s\nstderr: %s", out.String(), errb.String())

	store, err := history.Open(db)
	require.NoError(t, err)
	latest, err := store.Latest(context.Background())
	require.NoError(t, err)
	require.True(t, latest.Interrupted)
	require.True(t, latest.Card.Interrupted)
	require.NoError(t, store.Close())

	code, stdout, stderr := runCLI(t, "report", "--history", db, "--format", "json")
	require.Equal(t, exitcode.OK, code, stderr)
	var rep struct {
		Interrupted []string `json:"interrupted_runs"`
		Runs        []any    `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, []string{latest.ID}, rep.Interrupted)
	require.Empty(t, rep.Runs, "an interrupted run is no point of any trend")
	code, stdout, _ = runCLI(t, "report", "--history", db)
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, stdout, "1 interrupted run left out ("+latest.ID+")")
}

func TestReportMinimumChangeFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	store, err := history.Open(db)
	require.NoError(t, err)
	c := fixtureCard(t)
	require.NoError(t, store.Save(context.Background(), c))
	require.NoError(t, store.Close())

	code, stdout, stderr := runCLI(t, "report", "--history", db, "--format", "json", "--min-rate-change", "12.5", "--min-relative-change", "30%")
	require.Equal(t, exitcode.OK, code, stderr)
	var rep struct{ Rule string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Contains(t, rep.Rule, "a change of 12.5 points or more")
	require.Contains(t, rep.Rule, "credibly more than 30% of the baseline's median")
	code, stdout, _ = runCLI(t, "report", "--history", db, "--format", "json", "--min-relative-change", "5")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, stdout, "credibly more than 5% of")

	for _, bad := range []struct{ flag, value, want string }{
		{"--min-rate-change", "150", "--min-rate-change: 150: want 0 to 100 percentage points"},
		{"--min-rate-change", "-1", "want 0 to 100"},
		{"--min-rate-change", "NaN", "want 0 to 100"},
		{"--min-relative-change", "lots", `--min-relative-change: "lots": want a percentage of 0 or more, like 20%`},
		{"--min-relative-change", "-10%", "want a percentage of 0 or more"},
	} {
		code, _, errs := runCLI(t, "report", "--history", db, bad.flag, bad.value)
		require.Equal(t, exitcode.Usage, code, "%s %s", bad.flag, bad.value)
		require.Contains(t, errs, bad.want)
	}
}

// docs/history-and-export.md documents every flag of drill report, with
// the defaults the code has, and names the correction the report uses.
func TestReportDocsMatchFlags(t *testing.T) {
	b, err := os.ReadFile("../../docs/history-and-export.md")
	require.NoError(t, err)
	doc := string(b)
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	reportCommand().flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		require.Contains(t, doc, "--"+f.Name, "docs/history-and-export.md does not document --%s", f.Name)
	})
	require.Contains(t, doc, fmt.Sprintf("[--min-rate-change %s]", fs.Lookup("min-rate-change").DefValue))
	require.Contains(t, doc, fmt.Sprintf("[--min-relative-change %s]", fs.Lookup("min-relative-change").DefValue))
	require.Equal(t, "holm", report.Correction)
	require.Contains(t, doc, "Holm's step-down method")
	require.Contains(t, doc, `correction: "holm"`)
	_, help, _ := runCLI(t, "help", "report")
	require.Contains(t, help, "Holm's method")
	require.Contains(t, help, "--min-relative-change")
}
