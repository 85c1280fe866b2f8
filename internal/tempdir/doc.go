// Package tempdir makes drill's temporary directories and sweeps the ones
// a killed drill left behind.
//
// A directory is named after its owner: drill-KIND-OWNER-RANDOM under the
// system's temporary directory, where OWNER is the process ID, its start
// time (so that a reused process ID is told from the owner) and, on Linux,
// its PID namespace (so that a drill in another container sharing /tmp is
// never judged from here). A drill that exits removes its directories; one
// killed by SIGKILL cannot, and Sweep, run at the start of the next drill,
// removes every directory whose owner is no longer running. A directory
// whose owner cannot be judged (another PID namespace, an unreadable
// name) is left alone.
package tempdir
