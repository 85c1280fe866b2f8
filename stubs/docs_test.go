package stubs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/docgen"
	"github.com/drillkit/drill/internal/faultmode"
)

// modesMarkdown is docs/stubs.md's table of fault modes.
func modesMarkdown() string {
	var b strings.Builder
	b.WriteString("| mode | params | effect |\n|---|---|---|\n")
	for _, m := range ModeSpecs() {
		var ps []string
		for _, p := range m.Params {
			what := []string{p.Type}
			if p.Required {
				what = append(what, "required")
			}
			if p.Default != "" {
				what = append(what, "default "+p.Default)
			}
			ps = append(ps, fmt.Sprintf("`%s` (%s)", p.Name, strings.Join(what, ", ")))
		}
		params := strings.Join(ps, ", ")
		if params == "" {
			params = "—"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", m.Mode, strings.ReplaceAll(params, "|", `\|`), strings.ReplaceAll(m.Effect, "|", `\|`))
	}
	return b.String()
}

// docs/stubs.md's fault modes, their parameters and defaults, are the
// code's.
func TestDocs(t *testing.T) {
	require.NoError(t, docgen.Check("../docs/stubs.md", "stub-fault-modes", modesMarkdown(), "go test ./stubs -run TestDocs -update", *update))
}

// What a mode's spec says it takes is what validation accepts: each
// parameter it lists is accepted, each it marks required is refused when
// absent, and every other parameter is refused.
func TestModeSpecsMatchValidation(t *testing.T) {
	// a valid value of each parameter, per mode where the range differs
	valid := map[string]func(*Params){
		"status":      func(p *Params) { p.Status = 500 },
		"body":        func(p *Params) { p.Body = "x" },
		"retry_after": func(p *Params) { p.RetryAfter = 5 },
		"rename":      func(p *Params) { p.Rename = map[string]string{"a": "b"} },
		"drop":        func(p *Params) { p.Drop = []string{"a"} },
		"delay":       func(p *Params) { p.Delay = faultmode.Duration(time.Second) },
	}
	require.Len(t, valid, 6, "a parameter of Params has no case here")
	require.Equal(t, Modes, func() []string {
		var out []string
		for _, m := range ModeSpecs() {
			out = append(out, m.Mode)
		}
		return out
	}())
	for _, m := range ModeSpecs() {
		t.Run(m.Mode, func(t *testing.T) {
			require.NotEmpty(t, m.Effect)
			all := Params{}
			takes := map[string]bool{}
			for _, p := range m.Params {
				require.Contains(t, valid, p.Name)
				require.NotEmpty(t, p.Type, p.Name)
				valid[p.Name](&all)
				takes[p.Name] = true
			}
			require.NoError(t, Validate(m.Mode, all), "every parameter the spec lists, set")
			for _, p := range m.Params {
				if !p.Required {
					continue
				}
				without := Params{}
				for _, q := range m.Params {
					if q.Name != p.Name {
						valid[q.Name](&without)
					}
				}
				require.ErrorContains(t, Validate(m.Mode, without), "params."+p.Name+": required", "%s without %s", m.Mode, p.Name)
			}
			for name, set := range valid {
				if takes[name] {
					continue
				}
				p := all
				set(&p)
				require.ErrorContains(t, Validate(m.Mode, p), fmt.Sprintf("params.%s: mode %s does not take %s", name, m.Mode, name))
			}
		})
	}
}
