// Package stubs serves declarative HTTP stubs of the third-party APIs an AI
// service and its agents call (web search, vector databases, payments), so
// a drill can break them on purpose.
//
// A stub file (YAML) lists routes: a method, a path pattern with {params},
// optional matchers on query, headers and body, a response whose body is a
// Go text/template that can echo the request, and a latency distribution.
// Faults come from internal/faultmode, scoped by a glob over route names,
// seeded, counted and controlled through /_drill/faults; /metrics exposes
// request and fault counters from a private registry.
//
// Kits for common APIs are embedded (Kit, Kits); each is a file a team can
// copy and edit. docs/stubs.md documents the format.
package stubs
