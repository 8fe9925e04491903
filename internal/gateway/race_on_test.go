//go:build race

package gateway

// raceEnabled: the race detector changes what allocates (sync.Pool drops
// a share of what is put back), so allocation counts are not checked.
const raceEnabled = true
