package main

// End-to-end tests of a created group's authority with the real binary (in
// TestBinaryGroups, whose daemons they share): an invite made before a
// removal, and deleting one's own message in a group joined by invite.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"starling/internal/testwait"
)

// testStaleInvite: alice makes a link to a private group, carol joins with
// it, alice removes carol, and bob then joins with the same link. The link
// admits him to nothing sent after the removal: his node says that his
// invite is stale and refuses his sends with that reason, and nothing he
// sent with it is readable by carol. Once alice adds him, he reads what
// she sends and posts himself; carol reads none of it.
func testStaleInvite(t *testing.T, alice, bob, carol *member) {
	a, b, c := alice.h.in(t), bob.h.in(t), carol.h.in(t)
	id := a.createGroup("vault", "private", "--private")
	link, _ := a.invite(id)
	c.joinLink(link, "vault", id)
	c.waitPeers("vault", alice.id.PeerID)
	// carol's node publishes her profile once it has caught up.
	waitSynced(t, "vault", c)
	waitInfo(t, a, id, "alice knows carol's profile in vault", func(d groupDetailJSON) error {
		if !slices.ContainsFunc(d.Members, func(m memberJSON) bool { return m.Fingerprint == carol.id.Fingerprint }) {
			return fmt.Errorf("members %+v", d.Members)
		}
		return nil
	})
	a.ok("group", "remove", id, carol.id.Fingerprint)

	b.joinLink(link, "vault", id)
	// Whatever bob sends before his node has learnt of the removal either
	// is refused or waits; it must never reach carol readable.
	early := b.run("send", "vault", "sent with a stale link")
	if early.code != 0 && !strings.Contains(early.stderr, "vault") {
		t.Errorf("bob's first send failed without naming the group:\n%s", early)
	}
	const staleWhy = "your invite to vault was made before someone was removed, so it no longer admits you; ask a member for a fresh link"
	waitInfo(t, b, id, "bob's node knows his invite is stale", func(d groupDetailJSON) error {
		if !d.You.Stale || d.You.Member || d.You.Why != staleWhy {
			return fmt.Errorf("bob's standing %+v", d.You)
		}
		return nil
	})
	if info := b.ok("group", "info", id).stdout; !strings.Contains(info, "\nstanding "+staleWhy+"\n") {
		t.Errorf("bob's group info does not say that his invite is stale:\n%s", info)
	}
	checkOneLineError(t, b.run("send", "vault", "still stale"), 1, staleWhy)

	// alice admits bob; she must first hold the profile his node made on
	// joining (sealed under the link's key, which she holds). It reaches
	// her by catch-up: bob's node publishes nothing once it knows his
	// invite is stale, but serves what it stored.
	var added result
	testwait.UntilNil(t, meetTimeout, "alice adds bob to vault", func() error {
		added = a.run("group", "add", id, bob.id.Fingerprint)
		if added.code != 0 {
			b.run("sync", "vault")
			return fmt.Errorf("%s", strings.TrimSpace(added.stderr))
		}
		return nil
	})
	if want := "added " + bob.id.Fingerprint + " to vault; "; !strings.HasPrefix(added.stdout, want) {
		t.Errorf("group add printed %q, want it to start %q", added.stdout, want)
	}
	waitInfo(t, b, id, "bob's node knows he is a member", func(d groupDetailJSON) error {
		if !d.You.Member || d.You.Stale || d.You.Why != "" {
			return fmt.Errorf("bob's standing %+v", d.You)
		}
		return nil
	})
	if info := b.ok("group", "info", id).stdout; strings.Contains(info, "\nstanding ") {
		t.Errorf("bob's group info still shows a standing line after he was added:\n%s", info)
	}

	const welcome = "welcome to the vault, bob"
	a.send("vault", welcome)
	waitText(t, b, "vault", alice.id.Fingerprint, welcome)
	b.send("vault", "thanks, alice")
	waitText(t, a, "vault", bob.id.Fingerprint, "thanks, alice")

	c.ok("sync", "vault") // whatever alice still gives her
	for _, m := range c.groupLog("vault") {
		if !m.Unreadable && (m.Text == welcome || m.Author == bob.id.Fingerprint) {
			t.Errorf("the removed member reads a message sent after her removal: %+v", m)
		}
	}
	if early.code == 0 {
		id := sentRE.FindStringSubmatch(early.stdout)
		if id == nil {
			t.Fatalf("bob's first send printed no message ID:\n%s", early)
		}
		if m := withID(c.groupLog("vault"), id[2]); m != nil && !m.Unreadable {
			t.Errorf("carol reads what bob sent with the stale link: %+v", *m)
		}
	}
}

// testOwnDeletion: bob joins alice's open group by invite, posts, and
// deletes his own message. The deletion takes effect on both nodes, and
// bob's node does not keep trying to publish it.
func testOwnDeletion(t *testing.T, alice, bob *member) {
	a, b := alice.h.in(t), bob.h.in(t)
	shareOpenGroup(t, alice, bob, "stage")

	oops := b.sendNow("stage", "wrong room, sorry")
	kept := b.sendNow("stage", "this one stays")
	for _, msg := range []string{oops, kept} {
		if err := waitMessage(t, meetTimeout, "stage", msg, a, b); err != nil {
			t.Fatal(err)
		}
	}
	logged := len(bob.d.log()) // what the earlier subtests made bob's node say
	if r := b.ok("group", "delete", "stage", oops); r.stdout != "deleted "+oops+"\n" {
		t.Errorf("group delete printed %q", r.stdout)
	}
	for _, h := range []*testHome{a, b} {
		testwait.UntilNil(t, meetTimeout, h.dir+" no longer shows bob's deleted message", func() error {
			log := h.groupLog("stage")
			if withID(log, oops) != nil {
				return fmt.Errorf("%s still shown", oops)
			}
			if withID(log, kept) == nil {
				return fmt.Errorf("the message bob kept is gone too")
			}
			return nil
		})
	}
	testwait.UntilNil(t, meetTimeout, "bob's outbox is empty", func() error {
		var st struct {
			Outbox int `json:"outbox"`
		}
		b.decode(&st, "status", "--json")
		if st.Outbox != 0 {
			return fmt.Errorf("%d messages queued", st.Outbox)
		}
		return nil
	})
	if log := bob.d.log()[logged:]; strings.Contains(log, "could not publish a queued message") {
		t.Errorf("bob's node failed to publish a queued message:\n%s", log)
	}
}
