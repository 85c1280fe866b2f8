package loopback

import "net"

// FreePort asks the kernel for a free port on 127.0.0.1, for a process or
// container that must be told its port rather than handed a listener.
// Another process may take it first; the one told then fails to bind,
// with an error its starter reports.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
