package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/scoring"
)

// When the drill ends the console serves its scorecard and the HTML
// report of the run, built from the scorecard; with --console-keep 0
// drill returns at once.
func TestConsoleFinishServesTheReport(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cons := addConsoleFlags(fs, true)
	require.NoError(t, fs.Parse([]string{"--console", "--console-keep", "0"}))
	require.NoError(t, cons.check(fs))
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard}
	srv, err := cons.open(e, "run --live cost-spike", nil, console.Options{})
	require.NoError(t, err)
	defer srv.Close()
	require.Contains(t, out.String(), "console: "+srv.URL())

	now := time.Now().UTC()
	sc := scoring.Scenario{Name: "The provider bills ten times the tokens", Feature: "builtin/cost-spike.feature", Line: 7, Family: "cost-spike", Status: scoring.Passed}
	card := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "r1", Team: "acme-ml", StartedAt: now, FinishedAt: now.Add(time.Minute),
		Scenarios: []scoring.Scenario{sc}}
	card.Summary = scoring.Summarize(card.Scenarios)
	cons.finish(context.Background(), e, srv, card, nil)

	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+path, nil)
		req.Header.Set("X-Drill-Token", srv.Token())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/report")
	require.Equal(t, http.StatusOK, code, body)
	require.True(t, strings.HasPrefix(body, "<!DOCTYPE html>") || strings.HasPrefix(body, "<!doctype html>"), body[:min(len(body), 200)])
	require.Contains(t, body, "acme-ml")
	code, body = get("/scorecard.json")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"run_id": "r1"`)
}
