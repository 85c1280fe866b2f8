package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
)

// seedFlag is --seed, one definition for every command that takes one
// (drill run, ci, up, serve): a whole number from 0 to 2⁶³-1, the range
// the scorecard and the history record a run's seed in and the mocks'
// unsigned seeds hold. set says whether the command line gave it.
type seedFlag struct {
	n   int64
	set bool
}

func (s *seedFlag) String() string { return strconv.FormatInt(s.n, 10) }

func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a whole number from 0 to %d", int64(math.MaxInt64))
	}
	s.n, s.set = n, true
	return nil
}

// addSeedFlag declares --seed on fs with its default def; what says what
// it seeds and what its default means.
func addSeedFlag(fs *flag.FlagSet, def int64, what string) *seedFlag {
	s := &seedFlag{n: def}
	fs.Var(s, "seed", what)
	return s
}
