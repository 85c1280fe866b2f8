package leakcheck

import "go.uber.org/goleak"

// Toxiproxy ignores the goroutines that toxiproxy v2.12.0 itself leaves
// blocked. When a toxic ends its stream (timeout, reset_peer, limit_data)
// or is added to a connection that is closing, an earlier stage of the
// link can be left sending into a channel nobody reads any more: the
// link's reader in ChanWriter.Write, a toxic stub (most often the noop at
// the head of the chain) in its Pipe. They belong to the embedded server,
// hold no port or file, and end with the process. A link's writer is not
// ignored: one left running means a connection drill never closed.
func Toxiproxy() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
	}
}
