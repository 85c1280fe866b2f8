package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/drillkit/drill/internal/faultmode"
)

// WriteText writes the catalog as a table for a terminal.
func WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tTARGET\tPARAMETERS\tDESCRIPTION")
	for _, k := range Kinds() {
		var ps []string
		for _, p := range k.Params {
			if k.Mechanism == App && scopeParams[p.Name] {
				continue // every app kind has them; the footer says so
			}
			s := p.Name
			if p.Default != "" {
				s += "=" + p.Default
			}
			if p.Type == Int && len(p.Unit) <= 4 {
				s += p.Unit
			}
			ps = append(ps, s)
		}
		if len(ps) == 0 {
			ps = []string{"-"}
		}
		summary, _, _ := strings.Cut(k.Summary, ". ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Target, strings.Join(ps, " "), strings.TrimSuffix(summary, "."))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, `
Network kinds: toxicity is rolled per connection, not per request.
App kinds also take probability (per request, default 1), target (a glob
over models or routes) and count (first N requests; 0 is no limit).
'drill faults --format md' documents every parameter.
`)
	return err
}

// WriteJSON writes the catalog as a JSON array of kinds.
func WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Kinds())
}

// WriteMarkdown writes the catalog as the Markdown page docs/faults.md.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# Fault catalog

<!-- Generated from the catalog in faults/catalog.go by ` + "`drill faults --format md`" + `;
     go test ./faults -run TestDocs -update rewrites it. Do not edit by hand. -->

Every fault kind a drill can inject. A feature file names a kind and its
parameters; unknown kinds and bad parameters are rejected with the list of
what is valid.

- **network** kinds are toxiproxy toxics on the proxy in front of a provider
  or stub (target: the proxy's name). Toxicity is rolled **per connection**,
  not per request: with keep-alive, one roll decides many requests. For a
  per-request probability use an app kind. Evidence: the connections that went
  through the proxy while the fault was on (open when it started or opened
  during it), from toxiproxy's own log. A toxiproxy container logs no
  closed connections, so there only those opened during the fault count; an
  external toxiproxy gives no evidence at all (such drills are inconclusive).
- **app** kinds are fault modes of mockllm (target: a provider) or a stub
  (target: a stub), set through the mock's control API
  (` + "`POST /_drill/faults`" + `). Every app kind also takes ` + "`probability`" + `
  (rolled per request), ` + "`target`" + ` (a glob over models or routes) and ` + "`count`" + `.
  Evidence: the requests the mock counted as affected. The control API
  takes the mock's mode (the **Mechanism** line of each kind below:
  ` + "`provider-quota`" + ` is mode ` + "`quota`" + `); ` + "`drill inject`" + ` and feature files take
  the kind. A kind's name posted to the control API is refused with the
  mode it likely means.
- **traffic** kinds act on the traffic generator. Evidence: the requests sent
  during the surge.

A schedule can start a fault later, end it after a duration, and ramp its
strength (toxicity, probability or surge factor) up in steps. Every fault is
removed when its scenario ends, whatever happens. A fault with no evidence
makes the drill inconclusive.

Every numeric parameter has a range (the **range** column). It is checked
when a feature file is read (` + "`drill run`" + `, ` + "`drill run --plan`" + `, ` + "`drill lint`" + `),
by ` + "`drill inject`" + `, and again by the mocks' control APIs, from the same
declaration (` + "`internal/faultmode`" + ` for app kinds, ` + "`faults/catalog.go`" + ` for the
others): a value outside it is invalid input, never a drill that fails
halfway. Delays run in real time at any drill speed.

### Control API limits

Each mock (a provider or a stub) serves ` + "`/_drill/faults`" + ` on loopback only, and holds
`)
	fmt.Fprintf(&b, `at most %d faults at once; it keeps evidence for at most %d fault IDs
(removed faults included; a new ID beyond that is refused). A control request
body is at most %d bytes, a fault ID at most %d bytes of text without `+"`/`"+`,
spaces or control characters, a mode name %d bytes and a target glob %d
bytes. Errors quote at most %d bytes of a value they refuse.
`, faultmode.MaxFaults, faultmode.MaxEvidence, faultmode.MaxControlBody, faultmode.MaxIDBytes,
		faultmode.MaxModeBytes, faultmode.MaxTargetBytes, faultmode.MaxEchoBytes)
	section := map[Mechanism]string{Network: "Network faults (toxiproxy)", App: "Application faults (mock control APIs)", Traffic: "Traffic"}
	var last Mechanism
	for _, k := range Kinds() {
		if k.Mechanism != last {
			fmt.Fprintf(&b, "\n## %s\n", section[k.Mechanism])
			last = k.Mechanism
		}
		fmt.Fprintf(&b, "\n### `%s`\n\n%s\n\n", k.Name, k.Summary)
		switch {
		case k.Mechanism == Network && k.Toxic == "":
			b.WriteString("Target: a proxy. Mechanism: the proxy is disabled, and enabled again when the fault ends.\n")
		case k.Mechanism == Network:
			fmt.Fprintf(&b, "Target: a proxy. Mechanism: toxiproxy `%s` toxic on the %s stream.\n", k.Toxic, k.Stream)
		case k.Mechanism == App:
			fmt.Fprintf(&b, "Target: a %s. Mechanism: mode `%s`", k.Target, k.Mode)
			if len(k.Fixed) > 0 {
				var fs []string
				for n, v := range k.Fixed {
					fs = append(fs, fmt.Sprintf("`%s: %s`", n, v))
				}
				sort.Strings(fs)
				fmt.Fprintf(&b, " with %s", strings.Join(fs, ", "))
			}
			b.WriteString(".\n")
		default:
			b.WriteString("Target: the traffic generator. Mechanism: its rate multiplier.\n")
		}
		if k.Ramp != "" {
			fmt.Fprintf(&b, "Ramps: `%s`.\n", k.Ramp)
		} else {
			b.WriteString("Ramps: no (all or nothing).\n")
		}
		if len(k.Params) == 0 {
			b.WriteString("\nNo parameters.\n")
			continue
		}
		b.WriteString("\n| parameter | type | unit | range | default | description |\n|---|---|---|---|---|---|\n")
		for _, p := range k.Params {
			typ := string(p.Type)
			if p.Type == Enum {
				typ = strings.Join(p.Enum, " \\| ")
			}
			def := p.Default
			if p.Required {
				def = "required"
			}
			rng := ""
			if p.Range != nil {
				rng = p.Range.String()
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", p.Name, typ, p.Unit, rng, def, p.Help)
		}
		if k.Rule != "" {
			fmt.Fprintf(&b, "\nTogether: %s.\n", k.Rule)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
