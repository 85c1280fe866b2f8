// Package loopback holds what drill's servers and their callers share
// about the loopback interface every testbed listens on.
package loopback
