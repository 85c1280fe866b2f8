// Package loopback holds what drill's servers and their callers share
// about the loopback interface every testbed listens on: a server that
// binds before it returns and closes with a grace period, within Limits
// on how long a client may take to send a request and how long it may
// keep a connection idle (reads only: responses stream as long as their
// handlers do), speaking HTTP/1 and, to clients that start with its
// preface, unencrypted HTTP/2; and free ports.
package loopback
