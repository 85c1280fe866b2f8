// Package statedir owns drill's state folder, .drill/: the one place that
// knows which files it holds and how every command finds it.
//
// A command's state folder is the nearest .drill directory from its
// working directory upward (the working directory itself first), as git
// finds .git; when there is none, it is .drill in the working directory,
// created when something is first written there. Writers and readers
// find it the same way, so `drill up` started at the top of a repository
// is reached by `drill inject` from any directory below it, and
// `drill report` reads the history `drill run` wrote from the same tree.
//
// The folder holds:
//
//   - live.json: a running live drill's endpoint (response.WriteLiveFile),
//     for drill ack, role and note;
//   - up.json: a running drill up's control API and endpoints
//     (testbed.StartUp), for drill inject and clear;
//   - history.db: the run history (package history);
//   - exporters.yaml: the exporters, written by the team (package export).
//
// live.json and up.json name the process that wrote them; Alive tells a
// file whose writer still runs from one a killed drill left behind.
// Write replaces a file atomically, so a reader never sees half of one.
package statedir
