package features

import (
	"embed"
	"io/fs"
	"path"
)

//go:embed builtin/*.feature
var builtinFS embed.FS

// BuiltinDir is the prefix of the built-in feature files' names.
const BuiltinDir = "builtin"

// Builtin returns the built-in scenario library: two scenarios for each
// of the four families (inference outage, quality anomaly, cost spike,
// third-party failure), written with steps that fit any team. They act on
// the first provider and the first stub of drill.yaml and judge recovery
// by the team's own alerts. Keys are "builtin/<file>.feature".
func Builtin() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(builtinFS, BuiltinDir) // embedded: cannot fail
	for _, e := range entries {
		b, _ := fs.ReadFile(builtinFS, path.Join(BuiltinDir, e.Name()))
		out[path.Join(BuiltinDir, e.Name())] = string(b)
	}
	return out
}
