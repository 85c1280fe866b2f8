package scenarios

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
)

// MaxRepeat is the most repetitions of each scenario a run takes
// (Options.Repeat, drill run --repeat): enough for a p90's interval and
// a pass rate's lower bound to be tight, few enough that a scorecard
// holding every repetition's timeline stays a file one can open.
const MaxRepeat = 1000

// ScenarioSeed is the seed of the world a scenario runs in, under a run
// seed: the 64-bit FNV-1a hash of its place "FILE:LINE" (the feature
// file as the run names it, builtin/cost-spike.feature or
// features/x.feature, and the scenario's line; an outline's row has its
// own), xor the run seed, through splitmix64's finaliser, with the top
// bit cleared so that it prints as the positive number the scenario's
// start event shows. It depends on nothing else: not on which other
// scenarios run, their order or --parallel, so `drill run --seed S
// FILE:LINE` puts the scenario in the same world as any run with seed S
// that selected it. Repetition i (from 1) of a run with --seed S runs
// with run seed S+i-1.
func ScenarioSeed(runSeed int64, file string, line int) int64 {
	h := fnv.New64a()
	h.Write([]byte(file + ":" + strconv.Itoa(line)))
	x := h.Sum64() ^ uint64(runSeed)
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return int64(x >> 1)
}

// CheckRepeat checks a run's repetitions and seeds: 1 to MaxRepeat
// repetitions, none of a live game day, and run seeds (seed to
// seed+repeat-1) that fit an int64.
func CheckRepeat(repeat int, seed int64, live bool) error {
	switch {
	case repeat < 1 || repeat > MaxRepeat:
		return fmt.Errorf("repeat: want 1 to %d runs of each scenario, got %d", MaxRepeat, repeat)
	case live && repeat > 1:
		return fmt.Errorf("repeat: a live game day runs once, with people in the room; drop the repetitions (%d)", repeat)
	case seed > math.MaxInt64-int64(repeat-1):
		return fmt.Errorf("repeat: seeds %d to %d+%d overflow; use a smaller seed", seed, seed, repeat-1)
	}
	return nil
}

// repetitionURI names repetition i of a feature file for godog, which
// runs each name once: FILE#i (the uri cucumber.json shows).
func repetitionURI(file string, i int) string { return file + "#" + strconv.Itoa(i) }

// splitRepetition is the inverse of repetitionURI (a file's own name
// may hold a #: the last one counts); a name without a repetition is
// repetition 1.
func splitRepetition(uri string) (file string, i int) {
	if at := strings.LastIndexByte(uri, '#'); at >= 0 {
		if i, err := strconv.Atoi(uri[at+1:]); err == nil && i > 0 {
			return uri[:at], i
		}
	}
	return uri, 1
}
