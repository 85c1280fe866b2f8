// Package archtest keeps docs/architecture.md true to the code: its tests
// read the document's layer table and fail when a package imports one the
// table forbids, when a package has no layer, or when the table names a
// package that does not exist. It has no code of its own to import.
package archtest
