// Command drill rehearses incidents of AI services and scores the team's
// response plan.
//
// main is a few lines: it turns signals into a context and calls run,
// which finds the subcommand in the registry (commands, in cli.go), parses
// its flags and maps the error it returns to an exit code (exit.go): 0 all
// passed, 1 a drill failed or was inconclusive or a gate was missed, 2 bad
// usage or invalid input, 3 lint errors, 4 the harness failed, 130 a run
// interrupted by Ctrl-C or SIGTERM. Every
// subcommand lives in its own file and only this package touches os.Exit,
// flags, signals and the terminal.
package main
