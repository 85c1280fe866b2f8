// Package teamfile is the one reader of the files a team's repository
// holds: drill.yaml, alert rule files, runbooks, escalation files,
// feature files, promtool test files, stub files named by drill.yaml and
// exporters files. A pull request can put anything there, so every reader
// of those files goes through this package, which
//
//   - reads regular files only: a named pipe, a device, a socket or a
//     directory is refused with a problem saying what it is. A file is
//     opened with O_NONBLOCK and O_NOFOLLOW and checked with fstat before
//     anything is read, so a FIFO never blocks (drill stays
//     interruptible) and /dev/zero is never read;
//   - inside a team directory (Root), resolves symbolic links and refuses
//     one whose target (or any directory on the way) leaves the team
//     directory; the resolved file is then opened through an os.Root on
//     the team directory, so that a link swapped in meanwhile cannot
//     escape either;
//   - reads at most a cap of bytes (the cap+1st byte is the one that
//     refuses the file), with the cap in the message. The caps per kind of
//     file are MaxYAML, MaxRunbook, MaxFeature and MaxSchema. A UTF-8
//     byte-order mark at the start is dropped: no parser wants it;
//   - has one helper, Excerpt, for the messages that quote content they
//     could not parse: at most ExcerptBytes bytes, escaped, so that a
//     link to a secret cannot print it and binary content cannot garble a
//     terminal. Text checks content is UTF-8 text, the same check and
//     message for every parser.
//
// Its errors are *Error values naming the file (as the caller names it)
// and what was expected.
package teamfile
