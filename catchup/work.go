package catchup

import (
	"sync"
	"time"
)

// A session costs in proportion to the work it makes the server do: the
// bytes of every frame either way, and roundCost for each reconciliation
// round (fingerprinting is the CPU a round costs). The cost is charged to
// the session's address, whose account refills at Config.WorkRate up to
// Config.WorkBurst. An address whose account is empty gets "busy" for new
// sessions, and its sessions are the first to end when others need room.
const roundCost = 4 << 10

// maxAccounts bounds the work accounts kept. A full account is the same as
// none, so full ones are forgotten first; beyond that, the fullest.
const maxAccounts = 4096

// workAccounts is a token bucket of bytes per address. Safe for concurrent
// use.
type workAccounts struct {
	burst, rate float64
	now         func() time.Time

	mu   sync.Mutex
	acct map[string]*account
}

type account struct {
	balance float64
	at      time.Time
}

func newWorkAccounts(burst int64, rate int64, now func() time.Time) *workAccounts {
	return &workAccounts{burst: float64(burst), rate: float64(rate), now: now, acct: make(map[string]*account)}
}

// charge takes n bytes of work from addr's account.
func (w *workAccounts) charge(addr string, n int) {
	if n <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	a := w.acct[addr]
	if a == nil {
		w.makeRoomLocked(now)
		a = &account{balance: w.burst, at: now}
		w.acct[addr] = a
	}
	w.refillLocked(a, now)
	a.balance -= float64(n)
}

// positive reports whether addr has work left.
func (w *workAccounts) positive(addr string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.acct[addr]
	if a == nil {
		return true
	}
	w.refillLocked(a, w.now())
	return a.balance > 0
}

func (w *workAccounts) refillLocked(a *account, now time.Time) {
	if d := now.Sub(a.at); d > 0 {
		a.balance = min(w.burst, a.balance+d.Seconds()*w.rate)
		a.at = now
	}
}

// makeRoomLocked keeps the map below maxAccounts: full accounts go, then
// the fullest.
func (w *workAccounts) makeRoomLocked(now time.Time) {
	if len(w.acct) < maxAccounts {
		return
	}
	var fullest string
	best := -1.0
	for k, a := range w.acct {
		w.refillLocked(a, now)
		if a.balance >= w.burst {
			delete(w.acct, k)
			continue
		}
		if a.balance > best {
			fullest, best = k, a.balance
		}
	}
	if len(w.acct) >= maxAccounts {
		delete(w.acct, fullest)
	}
}
