// Package leakcheck holds the goroutine-leak exceptions that drill's
// tests share, each with the reason it is not drill's leak. Tests pass
// them to goleak; nothing else imports this package.
package leakcheck
