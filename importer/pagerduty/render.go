package pagerduty

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/teamfile"
)

// Render writes the drill escalation file: a header comment saying it
// was imported, from which files, when, and every warning, then users,
// teams, schedules, policies and routes. The file is refused when drill
// could not read it back (over teamfile.MaxYAML).
func (r *Result) Render(at time.Time) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported from PagerDuty by drill import pagerduty at %s\n", at.UTC().Format(time.RFC3339))
	b.WriteString("# from:\n")
	for _, s := range r.Sources {
		fmt.Fprintf(&b, "#   %s\n", oneLine(s))
	}
	if len(r.Warnings) == 0 {
		b.WriteString("# warnings: none\n")
	} else {
		fmt.Fprintf(&b, "# warnings (%d): what drill could not represent or the export lacks\n", len(r.Warnings))
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "#   %s\n", oneLine(w.String()))
		}
	}
	b.WriteString("\n")
	doc := struct {
		Users     []User     `yaml:"users,omitempty"`
		Teams     []Team     `yaml:"teams,omitempty"`
		Schedules []Schedule `yaml:"schedules,omitempty"`
		Policies  []Policy   `yaml:"policies,omitempty"`
		Routes    []Route    `yaml:"routes,omitempty"`
	}{r.Users, r.Teams, r.Schedules, r.Policies, r.Routes}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("pagerduty: encoding the drill file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("pagerduty: encoding the drill file: %w", err)
	}
	if b.Len() > teamfile.MaxYAML {
		return nil, &Error{Msg: fmt.Sprintf("the drill file would be %d bytes; drill reads escalation files of at most %s: import fewer objects per file", b.Len(), teamfile.Size(teamfile.MaxYAML))}
	}
	return b.Bytes(), nil
}

// oneLine keeps a name or message on its comment line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}
