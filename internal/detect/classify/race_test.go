//go:build race

package classify

// raceEnabled is set when the race detector, which makes the 10 MB inputs of
// TestBadInput ten times slower, is on.
const raceEnabled = true
