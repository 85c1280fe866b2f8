// Package docgen keeps the generated parts of drill's hand-written docs
// in step with the code that defines them.
//
// A doc marks each generated part with a pair of HTML comments, which
// Markdown renders as nothing:
//
//	<!-- generated:NAME by go test ./PKG -run TEST -update -->
//	...
//	<!-- /generated:NAME -->
//
// The package that owns the facts (a default, a parameter, a command)
// renders the part and checks it in a test with Check: the test fails when
// the doc is stale and, run with -update, rewrites the part and nothing
// else of the doc. A default is then written once, in code, and a doc that
// states it cannot contradict it.
//
// docgen imports only the standard library.
package docgen
