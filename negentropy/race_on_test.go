//go:build race

package negentropy

// raceEnabled: the 100,000-item cross-implementation cases are pure
// single-goroutine CPU work that the race detector slows about tenfold (past
// 25 minutes on a loaded 2-core machine), so under -race they are left to
// scripts/test's run without it.
const raceEnabled = true
