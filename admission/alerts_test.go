package admission

import (
	"errors"
	"testing"
	"time"

	"starling/message"
)

func (a author) alert(t testing.TB, g message.GroupID, sentAt time.Time) *message.Message {
	t.Helper()
	m, err := message.Sign(a.priv, message.Body{Version: message.Version, Group: g, Author: a.pub,
		SentAtMS: message.TimeMS(sentAt), Kind: message.KindAlert, Payload: []byte("\x0a\x05alert")})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An alert is not eaten by the chat rate limit its author used up, but
// alerts have their own budget, which binds admins too, by sent_at, and
// survives a restart (it is counted from the store).
func TestAlertBudget(t *testing.T) {
	f := newFixture(t, Limits{Burst: 5, Rate: 1}, nil)
	boss, kept := newAuthor("boss"), newAuthor("kept")
	g := newGroup("alerts", boss.pub)
	base := time.UnixMilli(int64(message.TimeMS(f.now.Add(-time.Hour))) / 5000 * 5000)

	// kept (whose alert group rules let through, say an admin's kept by a
	// revocation) used the chat window up.
	for i := range 5 {
		if err := f.offer(fromPeer, g, kept.text(t, g.id, base.Add(time.Duration(i)*time.Millisecond), 200, "t")); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.offer(fromPeer, g, kept.text(t, g.id, base.Add(10*time.Millisecond), 200, "over")); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("the sixth text: %v", err)
	}
	if err := f.offer(fromPeer, g, kept.alert(t, g.id, base.Add(20*time.Millisecond))); err != nil {
		t.Errorf("an alert after the chat window was used up: %v", err)
	}

	// The admin's flood: AlertBurst pass, the rest are refused for good.
	var refused int
	for i := range 20 {
		err := f.offer(fromPeer, g, boss.alert(t, g.id, base.Add(time.Duration(i)*time.Second)))
		switch {
		case errors.Is(err, ErrAlertLimited):
			refused++
			if !Final(err) {
				t.Error("an alert over the budget is not refused for good")
			}
		case err != nil:
			t.Fatal(err)
		}
	}
	if refused != 20-AlertBurst {
		t.Errorf("%d of 20 alerts refused, want %d", refused, 20-AlertBurst)
	}
	// A fresh admission counts the stored alerts.
	a2, err := New(Config{Store: f.st, Limits: Limits{Burst: 5, Rate: 1}, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := a2.Admit(fromPeer, g, boss.alert(t, g.id, base.Add(30*time.Second))); v == message.Accept || !errors.Is(err, ErrAlertLimited) {
		t.Errorf("after a restart, one more alert: %s %v", v, err)
	}
	// After the window, alerts pass again.
	if err := f.offer(fromPeer, g, boss.alert(t, g.id, base.Add(AlertWindow+time.Minute))); err != nil {
		t.Errorf("an alert a window later: %v", err)
	}
}
