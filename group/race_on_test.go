//go:build race

package group_test

// raceEnabled: the race detector slows crypto-heavy tests about tenfold, so
// the random-history property test runs fewer rounds under it (it still
// runs them all without -race, in `go test ./group`).
const raceEnabled = true
