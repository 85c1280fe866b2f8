package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/scoring"
)

// drill up's incident stub keeps its port for a team between runs, and
// the exporter entry it writes works as it is: drill export --to
// drill-stub reaches the stub.
func TestIncidentStubPortAndExporter(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".drill", "exporters.yaml")
	stub, err := openIncidentStub("", "acme-ml", path)
	require.NoError(t, err)
	require.NoError(t, writeStubExporter(path, stub.URL()))
	first := stub.URL()
	require.NoError(t, stub.Close())

	// The next drill up of the team takes the same port.
	stub, err = openIncidentStub("", "acme-ml", path)
	require.NoError(t, err)
	defer stub.Close()
	require.Equal(t, first, stub.URL())
	require.NoError(t, writeStubExporter(path, stub.URL()))

	// The stub's log is [] before anything arrives.
	log := strings.TrimSuffix(stub.URL(), "/graphql") + "/_drill/requests"
	resp, err := http.Get(log)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "[]\n", string(b))

	cfg, err := export.Load(path)
	require.NoError(t, err)
	require.Equal(t, []string{stubExporter}, cfg.Names())
	var stderr bytes.Buffer
	ex, err := cfg.Exporter(stubExporter, exportOptions(&env{stderr: &stderr, getenv: func(string) string { return "" }}))
	require.NoError(t, err)
	card := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "r1", Team: "acme-ml", StartedAt: time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC),
		Summary: scoring.Summary{Total: 1, Passed: 1, PassRate: 1}}
	_, err = ex.Export(context.Background(), card)
	require.NoError(t, err, stderr.String())
	require.Len(t, stub.Requests(), 1)

	// A port taken by something else: the stub goes elsewhere, and says
	// where by its URL; --incident-addr taken is an error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, err = openIncidentStub(ln.Addr().String(), "acme-ml", path)
	require.ErrorContains(t, err, "--incident-addr "+ln.Addr().String())
}

// The entry joins the team's own exporters file, whose other exporters
// and comments stay; a file that does not parse is left alone.
func TestStubExporterKeepsTheTeamsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exporters.yaml")
	own := "# our incident services\nexporters:\n  gitlab:  # the real one\n    preset: gitlab\n    endpoint: https://gitlab.example.com/api/graphql\n    variables:\n      input.incidentId: gid://gitlab/Issue/4242\n"
	require.NoError(t, os.WriteFile(path, []byte(own), 0o644))
	require.NoError(t, writeStubExporter(path, "http://127.0.0.1:20001/graphql"))
	require.NoError(t, writeStubExporter(path, "http://127.0.0.1:20002/graphql")) // replaced, not added twice
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), "# our incident services")
	require.Contains(t, string(b), "# the real one")
	require.Equal(t, 1, strings.Count(string(b), stubExporter+":"))
	require.Contains(t, string(b), "endpoint: http://127.0.0.1:20002/graphql")
	cfg, err := export.Load(path)
	require.NoError(t, err)
	require.Equal(t, []string{stubExporter, "gitlab"}, cfg.Names())
	require.Equal(t, 20002, previousStubPort(path))

	bad := "exporters: [\n"
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	err = writeStubExporter(path, "http://127.0.0.1:20003/graphql")
	require.ErrorContains(t, err, "does not parse")
	b, _ = os.ReadFile(path)
	require.Equal(t, bad, string(b))
	require.Zero(t, previousStubPort(path))
}
