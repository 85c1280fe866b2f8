//go:build !unix

package teamfile

import "os"

// Elsewhere a named pipe or a device cannot be made by a checkout; the
// checks after opening still refuse them.
const (
	noFollow  = 0
	openFlags = os.O_RDONLY
)
