package catchup

import (
	"time"

	"starling/bucket"
)

// A session costs in proportion to the work it makes the server do: the
// bytes of every frame either way, and roundCost for each reconciliation
// round (fingerprinting is the CPU a round costs). The cost is charged to
// the session's address, whose account refills at Config.WorkRate up to
// Config.WorkBurst. An address whose account is empty gets "busy" for new
// sessions, and its sessions are the first to end when others need room.
const roundCost = 4 << 10

// maxAccounts bounds the work accounts kept (package bucket forgets full
// ones first).
const maxAccounts = 4096

// workAccounts are the addresses' accounts, in bytes. Safe for concurrent
// use.
type workAccounts struct{ set *bucket.Set }

func newWorkAccounts(burst, rate int64, now func() time.Time) *workAccounts {
	return &workAccounts{set: bucket.NewSet(float64(burst), float64(rate), maxAccounts, now)}
}

// charge takes n bytes of work from addr's account.
func (w *workAccounts) charge(addr string, n int) { w.set.Take(addr, float64(n)) }

// positive reports whether addr has work left.
func (w *workAccounts) positive(addr string) bool { return w.set.Has(addr, 1) }
