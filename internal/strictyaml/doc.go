// Package strictyaml is the one strict YAML decoder of drill: every YAML
// file drill reads goes through it, so that a bad field gets the same
// message, from the same code, in every file: drill.yaml (team, and the
// sections the testbed and the response engine decode: providers, stubs,
// service, traffic, toxiproxy, responders), escalation files, runbook
// front matter, promtool test files, stub files, mockllm configs,
// gateway configs and exporters files. Alert rule files are the
// exception: Parse bounds them, then Prometheus' rulefmt parses them, so
// that their errors read as promtool's; the yaml.v3 errors rulefmt passes
// on are read by YAMLError, the one place that knows yaml.v3's message
// formats.
//
// # What it does
//
// Parse reads one document of a file; Decode decodes it into a Go value
// by its yaml tags, on top of what the value holds (defaults stay), and
// returns every problem at once as Problems, each rendered
// `file:line:col: field: message`:
//
//   - an unknown field: `unknown field; valid fields are: a, b, c`, the
//     struct's yaml names in order;
//   - a wrong type: `expected X, got Y` (`expected an integer, got "two"`,
//     `expected a mapping with fields a, b, got a list`);
//   - a missing required field (tag `drill:"required"`):
//     `missing; this field is required`;
//   - a key given twice: `duplicate key; first given at line N`;
//   - field paths as users write them: `policies[0].rules[1].escalate_after`,
//     keys that are not plain quoted.
//
// Types say what they accept: Scalar for values written as one scalar
// (durations, dates, severities), Decodable for values that take more
// than one shape (a bare duration or a mapping) or need the tree
// (templates in key order). `yaml:",inline"` merges a struct's fields
// into its parent's, `drill:"omit=a,b"` leaving some out; a field of type
// Pos gets the position of its mapping; yaml.Node fields keep a section
// raw for another package to decode later through a Doc. A Doc also
// places the problems of checks made after decoding, by field path.
//
// # Limits
//
// Every file is bounded before anything of it is decoded; past a limit
// the file is one problem naming the limit:
//
//   - MaxBytes (1 MiB) of input; ReadFile and ReadFileFS read no more
//     than that;
//   - MaxDepth (64) levels of nested mappings and lists, aliases
//     expanded, which also ends alias cycles;
//   - MaxNodes (262,144) values, aliases expanded, so that an alias
//     bomb ends in a problem after a bounded walk;
//   - one document: a second one (after `---`) is a problem;
//   - UTF-8 text: binary input or another encoding is a problem.
//
// yaml.v3 places a tab that breaks indentation on the line before it;
// the problem is moved to the tab.
//
// # Why a walker of drill's own over yaml.v3 nodes
//
// github.com/goccy/go-yaml (v1.19.2) was read first, since its strict
// mode (yaml.Strict(), DisallowUnknownField) and its positioned,
// source-annotated errors are what drill needs. It was not adopted,
// because its decoder stops at the first problem: decodeStruct keeps the
// first field error it meets and returns the first unknown key it finds
// (taken from a map, so which one is not even stable); the unknown-field
// error names the key but not the valid fields; a type error names the
// Go field (Struct.Field), not the YAML path; and its only limit is a
// recursion depth of 10,000 (no bound on input size or on values with
// aliases expanded). Working around that would mean walking its AST with
// drill's own rules anyway, with a second YAML parser next to the
// yaml.v3 that Prometheus' rulefmt uses for drill's rule files, so that
// two files of one team could resolve the same scalar differently. A
// walker over yaml.v3's nodes (which carry line and column) gives all
// problems at once, YAML field paths, columns and the limits above; the
// walker that team had was made this package, and the five other
// decoders were deleted.
package strictyaml
