// Package textdist measures how far apart two sequences are, to suggest
// the closest known name for a mistyped one (a Gherkin step, a stub
// route).
package textdist
