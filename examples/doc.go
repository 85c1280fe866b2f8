// Package examples embeds the demo team, acme-ml, in the drill binary.
//
// acme-ml is a realistic, lint-clean team: the reference gateway in front
// of two mock providers and a web-search stub, Prometheus rules for the
// four incident families, runbooks whose commands really fix the gateway
// through its admin API, escalation with users, schedules and policies,
// simulated responders, and its own features. `drill run cost-spike` runs
// it when no team is given and no drill.yaml is found.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed all:acme-ml
var files embed.FS

// AcmeML returns the demo team's directory as a file system rooted at it.
func AcmeML() fs.FS {
	sub, err := fs.Sub(files, "acme-ml")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
