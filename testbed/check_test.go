package testbed

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Check finds, from the files alone, what Start would refuse later.
func TestCheckFindsWhatStartWouldRefuse(t *testing.T) {
	good := parseText(t, `
providers:
  - {name: primary}
stubs:
  - {name: search, kit: websearch}
service:
  builtin: gateway
  gateway: {primary: primary, search: search}
`)
	require.NoError(t, Check(good, "testdata", map[string]string{"GW": "{{ .Service.Admin }}", "S": "{{ .Stubs.search.URL }}"}))

	for name, c := range map[string]struct {
		yaml string
		vars map[string]string
		want string
	}{
		"unknown kit": {`
providers: [{name: primary}]
stubs: [{name: search, kit: websearh}]
`, nil, `stubs.search.kit: stubs: unknown kit "websearh"; kits are`},
		"missing stub file": {`
providers: [{name: primary}]
stubs: [{name: pay, file: nope.yaml}]
`, nil, "stubs.pay.file:"},
		"missing provider config": {`
providers: [{name: primary, config: nope.yaml}]
`, nil, "providers.primary.config:"},
		"provider config's Azure deployment": {`
providers: [{name: primary, config: azure-bad.yaml}]
`, nil, `providers.primary.config: testdata/azure-bad.yaml:4:3: deployments.prod-gpt4o: want an openai model of this server (gpt-4o, gpt-4o-mini, text-embedding-3-small), got "gpt-5"`},
		"unpriced model": {`
providers: [{name: primary}]
service: {builtin: gateway, gateway: {primary: primary, primary_model: gtp-4o}}
`, nil, `service.gateway: primary.model: model "gtp-4o" has no entry in prices`},
		"unknown template name": {`
providers: [{name: primary}]
`, map[string]string{"ADMIN": "{{ .Nope }}"}, "variables.ADMIN: template \"{{ .Nope }}\""},
		"unknown provider in a template": {`
providers: [{name: primary}]
`, map[string]string{"URL": "{{ .Providers.secondary.URL }}"}, "variables.URL:"},
		"variable name a shell cannot read": {`
providers: [{name: primary}]
`, map[string]string{"GATEWAY-URL": "{{ .Service.URL }}"}, "variables.GATEWAY-URL: not a shell variable name"},
		"unclosed template": {`
providers: [{name: primary}]
`, map[string]string{"X": "{{ .Service.URL "}, "unclosed action"},
		"command template": {`
providers: [{name: primary}]
service: {command: ["svc", "--upstream", "{{ .Providers.primray.URL }}"]}
`, nil, "service.command[2]:"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Check(parseText(t, c.yaml), "testdata", c.vars)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.Contains(t, err.Error(), "drill.yaml: ", "every problem names the file")
		})
	}
}

// A stub file or provider config drill.yaml names is a file of the team:
// a FIFO does not block, a link out of the team or a ../ path is refused,
// and nothing of the file outside is read.
func TestCheckReadsTeamFilesOnly(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "team")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	secret := filepath.Join(base, "secret.yaml")
	require.NoError(t, os.WriteFile(secret, []byte("name: s3cr3t\n"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "out.yaml")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644))
	real, _ := filepath.EvalSymlinks(secret)
	for file, want := range map[string]string{
		"out.yaml":       `stubs.pay.file: stubs: ` + filepath.Join(dir, "out.yaml") + `: a symbolic link to "` + real + `", outside the team directory`,
		"pipe.yaml":      `stubs.pay.file: stubs: ` + filepath.Join(dir, "pipe.yaml") + `: not a regular file but a named pipe (FIFO); expected a regular file`,
		"../secret.yaml": `stubs.pay.file: stubs: ` + secret + `: expected a path inside the team directory, got "../secret.yaml"`,
	} {
		err := Check(parseText(t, "providers: [{name: primary}]\nstubs: [{name: pay, file: "+file+"}]\n"), dir, nil)
		require.ErrorContains(t, err, want, file)
		require.NotContains(t, err.Error(), "s3cr3t")
	}
	err := Check(parseText(t, "providers: [{name: primary, config: out.yaml}]\n"), dir, nil)
	require.ErrorContains(t, err, `providers.primary.config: `+filepath.Join(dir, "out.yaml")+`: a symbolic link to "`+real+`", outside the team directory`)
}
