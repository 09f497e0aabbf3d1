package schedule

import (
	"starling/catchup"
	"time"
)

// Quiet groups: the periodic catch-up round starts a session only with a
// peer this node may differ from. A group's summary is its store version
// (every message stored or deleted moves it) and its view (what may make
// an ignored message acceptable: the group's state, the block list). When
// a session with a peer finds nothing to move either way, the two held the
// same set, and the node notes its summary then (inStep). While the summary
// stays the same, this node has learnt and lost nothing since, so a
// session with that peer could only bring what the peer learnt; and the
// peer, whose own summary moved, starts that session itself (or, speaking
// an older Starling, runs its periodic rounds as before). So a node with
// nothing new to say starts no rounds: no stream, no snapshot, no
// reconciliation. It costs no bytes and needs nothing of the peer.
//
// A note is dropped after quietResync, so that two quiet nodes still
// reconcile now and then (a peer that lost messages without a new summary,
// such as a restarted in-memory store answering under the same ID, is
// caught that way). Joins, `starling sync`, follow-ups and resyncs after a
// key are not gated.

// quietResync is how long a note that a peer was in step counts.
const quietResync = 15 * time.Minute

// Summary is a group's cheap summary for catch-up: its store version
// (every message stored or deleted moves it) and its view (what may make
// an ignored message acceptable).
type Summary struct{ Version, View uint64 }

// stepNote is the summary a session with a peer found both sides in step at.
type stepNote struct {
	sum Summary
	at  time.Time
}

// inStepResult: the session completed and moved nothing, and nothing the
// peer holds was ignored or skipped, so the two held the same set.
func inStepResult(res catchup.Result, err error) bool {
	return err == nil && res.Complete && res.Fetched == 0 && res.Pushed == 0 &&
		res.Ignored == 0 && res.Skipped == 0 && res.Gone == 0
}

// noteStep records (or, for a session that moved something, forgets)
// that k's peer is in step with this node at sum.
func (b *book) noteStep(k syncKey, inStep bool, sum Summary, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !inStep {
		delete(b.steps, k)
		return
	}
	if _, ok := b.steps[k]; !ok && len(b.steps) >= maxTried {
		for q, note := range b.steps {
			if now.Sub(note.at) >= quietResync {
				delete(b.steps, q)
			}
		}
		if len(b.steps) >= maxTried {
			for q := range b.steps { // one arbitrary note makes room
				delete(b.steps, q)
				break
			}
		}
	}
	b.steps[k] = stepNote{sum: sum, at: now}
}

// inStep reports whether the last session with k's peer found the two in
// step at sum, within quietResync.
func (b *book) inStep(k syncKey, sum Summary, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	note, ok := b.steps[k]
	return ok && note.sum == sum && now.Sub(note.at) < quietResync
}

// Rounds counts the groups' periodic catch-up rounds, and those of them
// that started no session, every peer of the group being in step.
func (b *book) Rounds() (rounds, skipped uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rounds, b.skipped
}

// round counts a group's periodic round; skipped, one that started no
// session, every peer being in step.
func (b *book) round(skipped bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rounds++
	if skipped {
		b.skipped++
	}
}
