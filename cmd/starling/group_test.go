package main

// End-to-end tests of created groups with the real binary: three daemons on
// 127.0.0.1 (bob and carol each with alice as --peer) share groups they
// create, invite each other to, post in and moderate, as people would with
// the command line.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"starling/internal/testwait"
)

// The group JSON the CLI prints, spelled out (see helpers_test.go).
type (
	groupJSON struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Messages int    `json:"messages"`
		Peers    int    `json:"peers"`
	}
	memberJSON struct {
		Fingerprint string `json:"fingerprint"`
		Nick        string `json:"nick"`
		Admin       bool   `json:"admin"`
	}
	groupDetailJSON struct {
		groupJSON
		Owner           string       `json:"owner"`
		Version         uint64       `json:"version"`
		Admins          []string     `json:"admins"`
		Posters         []string     `json:"posters"`
		Removed         []string     `json:"removed"`
		Banned          []string     `json:"banned"`
		EndsAt          *time.Time   `json:"ends_at"`
		SlowModeSeconds int          `json:"slow_mode_seconds"`
		Epoch           uint64       `json:"epoch"`
		Members         []memberJSON `json:"members"`
		You             standingJSON `json:"you"`
	}
	// standingJSON is where the user stands in a group.
	standingJSON struct {
		Member  bool       `json:"member"`
		Owner   bool       `json:"owner"`
		Admin   bool       `json:"admin"`
		Removed bool       `json:"removed"`
		Banned  bool       `json:"banned"`
		Stale   bool       `json:"stale"`
		By      string     `json:"by"`
		At      *time.Time `json:"at"`
		Reason  string     `json:"reason"`
		Why     string     `json:"why"`
	}
	// groupLine is a line of `log --json` with the private-group flag.
	groupLine struct {
		logLine
		Unreadable bool `json:"unreadable"`
	}
)

// createdRE matches what `group create` prints: the reference, then how to
// share it.
var createdRE = regexp.MustCompile("^([0-9a-f]{64})\ncreated (open|private|announce) group \"([^\"]+)\"; invite people with `starling invite ([0-9a-f]{64})`\n$")

// createGroup runs `group create NAME flags...` and returns the group's ID.
func (h *testHome) createGroup(name, kind string, flags ...string) string {
	h.t.Helper()
	r := h.ok(append([]string{"group", "create", name}, flags...)...)
	m := createdRE.FindStringSubmatch(r.stdout)
	if m == nil || m[2] != kind || m[3] != name || m[4] != m[1] {
		h.t.Fatalf("group create %s %q printed, want the ID and a %s group:\n%s", name, flags, kind, r)
	}
	return m[1]
}

// info returns `group info REF --json`.
func (h *testHome) info(ref string) groupDetailJSON {
	h.t.Helper()
	var d groupDetailJSON
	h.decode(&d, "group", "info", ref, "--json")
	return d
}

// invite runs `invite REF flags...` and returns the link on its first line
// and the rest of the output.
func (h *testHome) invite(ref string, flags ...string) (link, rest string) {
	h.t.Helper()
	r := h.ok(append([]string{"invite", ref}, flags...)...)
	link, rest, _ = strings.Cut(r.stdout, "\n")
	if !strings.HasPrefix(link, "starling://join?g="+ref+"&o=") {
		h.t.Fatalf("invite %s printed no link to it on the first line:\n%s", ref, r)
	}
	return link, rest
}

// joinLink joins by invite link and checks what join says.
func (h *testHome) joinLink(link, name, id string) {
	h.t.Helper()
	r := h.ok("join", link)
	if want := fmt.Sprintf("joined %s (%s), ", name, id); !strings.HasPrefix(r.stdout, want) {
		h.t.Fatalf("join by link printed %q, want it to start %q", r.stdout, want)
	}
}

// groupLog returns a group's whole history from `log REF --json --limit 0`.
func (h *testHome) groupLog(ref string) []groupLine {
	h.t.Helper()
	var out []groupLine
	for line := range strings.Lines(h.ok("log", ref, "--json", "--limit", "0").stdout) {
		var m groupLine
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			h.t.Fatalf("log --json printed a line that is not JSON: %v\n%q", err, line)
		}
		out = append(out, m)
	}
	return out
}

// withText returns the line of log whose text is text, or nil.
func withText(log []groupLine, text string) *groupLine {
	for i := range log {
		if log[i].Text == text {
			return &log[i]
		}
	}
	return nil
}

// withID returns the line of log with message ID id, or nil.
func withID(log []groupLine, id string) *groupLine {
	for i := range log {
		if log[i].ID == id {
			return &log[i]
		}
	}
	return nil
}

// waitText waits until h's log of ref shows text from author, readable.
func waitText(t *testing.T, h *testHome, ref, author, text string) {
	t.Helper()
	testwait.UntilNil(t, meetTimeout, fmt.Sprintf("%s reads %q in %s", h.dir, text, ref), func() error {
		m := withText(h.groupLog(ref), text)
		if m == nil {
			return fmt.Errorf("not there")
		}
		if m.Author != author || m.Unreadable {
			return fmt.Errorf("shown as %+v, want it readable from %s", *m, author)
		}
		return nil
	})
}

// waitInfo waits until check accepts h's `group info REF --json`.
func waitInfo(t *testing.T, h *testHome, ref, what string, check func(groupDetailJSON) error) {
	t.Helper()
	testwait.UntilNil(t, meetTimeout, what, func() error { return check(h.info(ref)) })
}

// synced runs `sync REF --json` and checks that every session completed, so
// that h holds whatever its peers in the group would give it.
func (h *testHome) synced(ref string) {
	h.t.Helper()
	var syncs []struct {
		Complete bool   `json:"complete"`
		Error    string `json:"error"`
	}
	h.decode(&syncs, "sync", ref, "--json")
	if len(syncs) == 0 {
		h.t.Fatalf("sync %s ran no session", ref)
	}
	for _, s := range syncs {
		if !s.Complete || s.Error != "" {
			h.t.Fatalf("sync %s: %+v", ref, syncs)
		}
	}
}

// waitSynced waits until each home has completed a catch-up session in ref
// with its peers there. A node sends nothing in a private group before
// that: until it has asked its peers, it may not know of a removal.
func waitSynced(t *testing.T, ref string, homes ...*testHome) {
	t.Helper()
	for _, h := range homes {
		testwait.UntilNil(t, meetTimeout, h.dir+" has caught up in "+ref, func() error {
			var syncs []struct {
				Complete bool   `json:"complete"`
				Error    string `json:"error"`
			}
			h.decode(&syncs, "sync", ref, "--json")
			if len(syncs) == 0 {
				return fmt.Errorf("no peer in %s to catch up with", ref)
			}
			for _, s := range syncs {
				if !s.Complete || s.Error != "" {
					return fmt.Errorf("a session did not complete: %+v", syncs)
				}
			}
			return nil
		})
	}
}

// shareOpenGroup has owner create an open group, joiner join it by link,
// and waits until a message from either reaches both. It returns the
// group's ID.
func shareOpenGroup(t *testing.T, owner, joiner *member, name string) string {
	t.Helper()
	o, j := owner.h.in(t), joiner.h.in(t)
	id := o.createGroup(name, "open")
	link, _ := o.invite(id)
	j.joinLink(link, name, id)
	j.waitPeers(name, owner.id.PeerID)
	awaitMesh(t, name, o, j)
	return id
}

// TestBinaryGroups runs the group commands end to end. The subtests share
// the daemons and run in order: each leaves the groups as the next expects.
func TestBinaryGroups(t *testing.T) {
	ms := startLine(t, "lobby", "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]

	t.Run("create", func(t *testing.T) { testGroupCreate(t, alice) })
	t.Run("invite", func(t *testing.T) { testInvite(t, alice) })
	t.Run("refused links", func(t *testing.T) { testRefusedLinks(t, alice, bob) })
	t.Run("update", func(t *testing.T) { testUpdate(t, alice, bob, carol) })
	t.Run("delete and ban", func(t *testing.T) { testDeleteAndBan(t, alice, bob) })
	t.Run("announce", func(t *testing.T) { testAnnounce(t, alice, bob) })
	t.Run("whois", func(t *testing.T) { testWhois(t, alice, bob, carol) })
	t.Run("block and mute", func(t *testing.T) { testBlocks(t, alice, bob) })
	t.Run("safety", func(t *testing.T) { testSafety(t, alice, bob, carol) })
	t.Run("private", func(t *testing.T) { testPrivate(t, alice, bob, carol) })
	t.Run("stale invite", func(t *testing.T) { testStaleInvite(t, alice, bob, carol) })
	t.Run("own deletion", func(t *testing.T) { testOwnDeletion(t, alice, bob) })
	t.Run("errors", func(t *testing.T) { testGroupErrors(t, alice) })

	for _, m := range ms {
		m.d.stop()
	}
}

func testGroupCreate(t *testing.T, alice *member) {
	h := alice.h.in(t)
	ends := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var d groupDetailJSON
	h.decode(&d, "group", "create", "gala", "--ends", ends.Format(time.RFC3339), "--json")
	if !hex64.MatchString(d.ID) || d.Name != "gala" || d.Kind != "open" || d.Owner != alice.id.Fingerprint ||
		d.Version != 1 || d.Epoch != 0 || d.EndsAt == nil || !d.EndsAt.Equal(ends) {
		t.Errorf("group create gala --ends %s --json: %+v", ends.Format(time.RFC3339), d)
	}
	if len(d.Members) != 1 || d.Members[0] != (memberJSON{alice.id.Fingerprint, "alice", true}) {
		t.Errorf("a new group's members are %+v, want alice alone, as owner (admin)", d.Members)
	}

	for _, tc := range []struct{ name, kind, flag string }{
		{"quiet", "private", "--private"},
		{"bulletin", "announce", "--announce"},
	} {
		id := h.createGroup(tc.name, tc.kind, tc.flag)
		got := h.info(id)
		wantEpoch := uint64(0)
		if tc.kind == "private" {
			wantEpoch = 1 // private groups start sealed under epoch 1
		}
		if got.Kind != tc.kind || got.Name != tc.name || got.Epoch != wantEpoch || got.EndsAt != nil {
			t.Errorf("group info of the %s group: %+v", tc.kind, got)
		}
		// It is referred to by name as well as by ID.
		if byName := h.info(tc.name); byName.ID != id {
			t.Errorf("group info %s names group %s, want %s", tc.name, byName.ID, id)
		}
	}

	var groups []groupJSON
	h.decode(&groups, "groups", "--json")
	kinds := map[string]string{}
	for _, g := range groups {
		kinds[g.Name] = g.Kind
		if !hex64.MatchString(g.ID) {
			t.Errorf("groups --json: bad id in %+v", g)
		}
	}
	want := map[string]string{"lobby": "channel", "gala": "open", "quiet": "private", "bulletin": "announce"}
	for name, kind := range want {
		if kinds[name] != kind {
			t.Errorf("groups --json lists %q as %q, want %q (all: %+v)", name, kinds[name], kind, groups)
		}
	}
	human := h.ok("groups").stdout
	if !regexp.MustCompile(`(?m)^quiet +private +\d+ messages +\d+ peers  [0-9a-f]{64}$`).MatchString(human) {
		t.Errorf("groups does not show the private group as such:\n%s", human)
	}
}

// testPrivate: bob and carol join a private group by invite, and every
// member reads every other; then alice removes carol, and carol reads
// nothing sent after, while bob still does. carol's own node knows: its
// group info says who removed her, and it refuses her sends with that
// reason.
func testPrivate(t *testing.T, alice, bob, carol *member) {
	a, b, c := alice.h.in(t), bob.h.in(t), carol.h.in(t)
	id := a.createGroup("hideout", "private", "--private")
	link, _ := a.invite(id, "--relay", alice.id.addr(t, "/ip4/127.0.0.1/tcp/"))
	b.joinLink(link, "hideout", id)
	c.joinLink(link, "hideout", id)
	b.waitPeers("hideout", alice.id.PeerID)
	c.waitPeers("hideout", alice.id.PeerID)
	a.waitPeers("hideout", bob.id.PeerID, carol.id.PeerID)
	waitSynced(t, "hideout", a, b, c)
	awaitMesh(t, "hideout", a, b, c)

	a.sendNow("hideout", "members only: the door code is 4711")
	c.sendNow("hideout", "carol read it")
	for _, h := range []*testHome{b, c} {
		waitText(t, h, "hideout", alice.id.Fingerprint, "members only: the door code is 4711")
	}
	waitText(t, a, "hideout", carol.id.Fingerprint, "carol read it")
	waitText(t, b, "hideout", carol.id.Fingerprint, "carol read it")
	for _, h := range []*testHome{a, b} {
		waitInfo(t, h, id, h.dir+" knows every member's profile", func(d groupDetailJSON) error {
			if len(d.Members) != 3 {
				return fmt.Errorf("members %+v", d.Members)
			}
			return nil
		})
	}
	if d := c.info(id); !d.You.Member || d.You.Removed || d.You.Why != "" || strings.Contains(c.ok("group", "info", id).stdout, "standing") {
		t.Errorf("carol's standing before the removal: %+v", d.You)
	}

	checkOneLineError(t, b.run("group", "remove", id, carol.id.Fingerprint), 1, "not allowed")

	r := a.ok("group", "remove", id, carol.id.Fingerprint)
	if want := fmt.Sprintf("removed %s from hideout; the group is at key epoch 2 and they can read nothing sent from now on\n", carol.id.Fingerprint); r.stdout != want {
		t.Errorf("group remove printed %q, want %q", r.stdout, want)
	}
	d := a.info(id)
	if d.Epoch != 2 || !slices.Equal(d.Removed, []string{carol.id.Fingerprint}) {
		t.Errorf("after the removal alice's group info says epoch %d, removed %q", d.Epoch, d.Removed)
	}
	waitInfo(t, b, id, "bob has the new epoch key", func(d groupDetailJSON) error {
		if d.Epoch != 2 || !slices.Equal(d.Removed, []string{carol.id.Fingerprint}) {
			return fmt.Errorf("epoch %d, removed %q", d.Epoch, d.Removed)
		}
		return nil
	})

	// carol's node learns of the removal (its Op is sealed under the
	// group's control key, which she keeps) and says so.
	removedBy := "you were removed from hideout by " + alice.id.Fingerprint + " at "
	waitInfo(t, c, id, "carol's node knows she was removed", func(d groupDetailJSON) error {
		if !d.You.Removed || d.You.Member || d.You.By != alice.id.Fingerprint || d.You.At == nil || !strings.HasPrefix(d.You.Why, removedBy) {
			return fmt.Errorf("carol's standing: %+v", d.You)
		}
		return nil
	})
	if info := c.ok("group", "info", id).stdout; !strings.Contains(info, "\nstanding "+removedBy) ||
		!strings.Contains(info, "; you can still read what was sent before\n") {
		t.Errorf("carol's group info does not say in one line that she was removed:\n%s", info)
	}
	refused := c.run("send", "hideout", "carol is still here")
	checkOneLineError(t, refused, 1, removedBy)

	const secret = "after carol left: the new door code is 0815"
	after := a.sendNow("hideout", secret)
	waitText(t, b, "hideout", alice.id.Fingerprint, secret)
	// carol catches up with everything alice will give her; whatever of
	// the new message she holds, she cannot read it.
	c.synced("hideout")
	for _, m := range c.groupLog("hideout") {
		if m.Text == secret || (m.ID == after && !m.Unreadable) {
			t.Errorf("the removed member reads a message sent after the removal: %+v", m)
		}
		if m.Text == "carol is still here" {
			t.Errorf("a refused send is in carol's log: %+v", m)
		}
	}
	b.synced("hideout")
	if m := withText(b.groupLog("hideout"), "carol is still here"); m != nil {
		t.Errorf("bob holds a message the removed member's node refused to send: %+v", *m)
	}
}

// testUpdate changes a group's descriptor: only admins may, and every
// member sees each new version.
func testUpdate(t *testing.T, alice, bob, carol *member) {
	a, b, c := alice.h.in(t), bob.h.in(t), carol.h.in(t)
	id := a.createGroup("club", "open")
	link, _ := a.invite(id)
	b.joinLink(link, "club", id)
	waitInfo(t, a, id, "alice knows bob's profile in club", func(d groupDetailJSON) error {
		if !slices.ContainsFunc(d.Members, func(m memberJSON) bool { return m.Fingerprint == bob.id.Fingerprint && m.Nick == "bob" }) {
			return fmt.Errorf("members %+v", d.Members)
		}
		return nil
	})

	checkOneLineError(t, b.run("group", "update", id, "--slow-mode", "1m"), 1, "not allowed")
	checkOneLineError(t, c.run("group", "update", id, "--slow-mode", "1m"), 1, "join it first")

	ends := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	r := a.ok("group", "update", id, "--add-admin", bob.id.Fingerprint, "--slow-mode", "30s", "--ends", ends.Format(time.RFC3339))
	for _, want := range []string{
		"club (open)\nid       " + id + "\n",
		// Two changes: the settings, and bob's role.
		"\nowner    " + alice.id.Fingerprint + "\nversion  3\n",
		"\nadmins   " + bob.id.Fingerprint + "\n",
		"\nends     " + ends.Local().Format(time.DateTime) + "\n",
		"\nslow     one message per 30s per person\n",
		"\n  " + bob.id.Fingerprint + "  bob (admin)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("group update printed no %q:\n%s", want, r.stdout)
		}
	}
	waitInfo(t, b, id, "bob sees version 3", func(d groupDetailJSON) error {
		if d.Version != 3 || !slices.Equal(d.Admins, []string{bob.id.Fingerprint}) || d.SlowModeSeconds != 30 ||
			d.EndsAt == nil || !d.EndsAt.Equal(ends) {
			return fmt.Errorf("%+v", d)
		}
		return nil
	})

	// bob is an admin now: his update goes through, and alice sees it.
	b.ok("group", "update", id, "--name", "night club", "--slow-mode", "0", "--ends", "never")
	waitInfo(t, a, id, "alice sees bob's version 4", func(d groupDetailJSON) error {
		if d.Version != 4 || d.SlowModeSeconds != 0 || d.EndsAt != nil {
			return fmt.Errorf("%+v", d)
		}
		return nil
	})
	if r := a.ok("group", "info", id); !strings.Contains(r.stdout, "version  4\n") || strings.Contains(r.stdout, "\nslow ") {
		t.Errorf("group info after bob's update:\n%s", r.stdout)
	}
}

// testDeleteAndBan deletes messages (the owner any, an author their own,
// nobody else's) and bans an author.
func testDeleteAndBan(t *testing.T, alice, bob *member) {
	a, b := alice.h.in(t), bob.h.in(t)
	id := shareOpenGroup(t, alice, bob, "forum")

	spam := b.sendNow("forum", "buy cheap watches")
	own := b.sendNow("forum", "typo in this one")
	fromAlice := a.sendNow("forum", "welcome to the forum")
	for _, h := range []*testHome{a, b} {
		if err := waitMessage(t, meetTimeout, "forum", fromAlice, h); err != nil {
			t.Fatal(err)
		}
	}
	waitText(t, a, "forum", bob.id.Fingerprint, "typo in this one")

	checkOneLineError(t, b.run("group", "delete", "forum", fromAlice), 1, "not allowed")

	if r := a.ok("group", "delete", "forum", spam, "--reason", "spam"); r.stdout != "deleted "+spam+"\n" {
		t.Errorf("group delete printed %q", r.stdout)
	}
	b.ok("group", "delete", "forum", own)
	for _, h := range []*testHome{a, b} {
		testwait.UntilNil(t, meetTimeout, h.dir+" hides both deleted messages", func() error {
			log := h.groupLog("forum")
			for _, gone := range []string{spam, own} {
				if withID(log, gone) != nil {
					return fmt.Errorf("%s still shown", gone)
				}
			}
			if withID(log, fromAlice) == nil {
				return fmt.Errorf("the message nobody deleted is gone too")
			}
			return nil
		})
	}

	checkOneLineError(t, b.run("group", "ban", "forum", alice.id.Fingerprint), 1, "not allowed")
	if r := a.ok("group", "ban", "forum", bob.id.Fingerprint, "--reason", "spam"); r.stdout != "banned "+bob.id.Fingerprint+"\n" {
		t.Errorf("group ban printed %q", r.stdout)
	}
	// bob sends until his node knows of the ban and refuses; whatever he
	// sent after the ban, alice drops.
	var refused result
	for i := 0; refused.code == 0; i++ {
		if i > 0 && i%20 == 0 {
			b.synced("forum")
		}
		refused = b.run("send", "forum", fmt.Sprintf("still here %d", i))
		if i == 200 {
			t.Fatalf("bob's sends are still accepted after the ban:\n%s", refused)
		}
	}
	bannedBy := "you are banned from forum by " + alice.id.Fingerprint + " at "
	checkOneLineError(t, refused, 1, bannedBy)
	if !strings.HasSuffix(refused.stderr, " (spam)\n") {
		t.Errorf("the refusal does not give the ban's reason:\n%s", refused)
	}
	a.synced("forum")
	for _, m := range a.groupLog("forum") {
		if strings.HasPrefix(m.Text, "still here") {
			t.Errorf("alice shows a message bob sent after his ban: %+v", m)
		}
	}
	if d := a.info(id); !slices.Equal(d.Banned, []string{bob.id.Fingerprint}) || d.You.Why != "" {
		t.Errorf("alice's group info after the ban: banned %q, her standing %+v", d.Banned, d.You)
	}
	if d := b.info(id); !d.You.Banned || d.You.By != alice.id.Fingerprint || d.You.Reason != "spam" || !strings.HasPrefix(d.You.Why, bannedBy) {
		t.Errorf("bob's standing after the ban: %+v", d.You)
	}
	if info := b.ok("group", "info", id).stdout; !strings.Contains(info, "\nstanding "+bannedBy) || !strings.Contains(info, "\nbanned   "+bob.id.Fingerprint+"\n") {
		t.Errorf("bob's group info does not show his ban:\n%s", info)
	}

	// Only an admin lifts a ban; once alice does, bob posts again.
	checkOneLineError(t, b.run("group", "unban", "forum", bob.id.Fingerprint), 1, "")
	if r := a.ok("group", "unban", "forum", bob.id.Fingerprint); r.stdout != "unbanned "+bob.id.Fingerprint+"\n" {
		t.Errorf("group unban printed %q", r.stdout)
	}
	waitInfo(t, b, id, "bob's node knows the ban is lifted", func(d groupDetailJSON) error {
		if d.You.Banned || d.You.Why != "" || len(d.Banned) != 0 {
			return fmt.Errorf("standing %+v, banned %q", d.You, d.Banned)
		}
		return nil
	})
	waitText(t, a, "forum", alice.id.Fingerprint, "welcome to the forum")
	b.sendNow("forum", "sorry about the watches")
	waitText(t, a, "forum", bob.id.Fingerprint, "sorry about the watches")
}

// testAnnounce: in an announcement channel only the owner, admins and the
// named posters post.
//
// A reader who is not a poster cannot join by invite yet (the node
// publishes a profile on joining, which the channel refuses from
// non-posters), so bob joins as a poster and then loses the right.
func testAnnounce(t *testing.T, alice, bob *member) {
	a, b := alice.h.in(t), bob.h.in(t)
	id := a.createGroup("news", "announce", "--announce")
	// bob has no profile in news yet: alice's node finds his key through
	// the groups they share.
	a.ok("group", "update", id, "--add-poster", bob.id.Fingerprint)
	link, _ := a.invite(id)
	b.joinLink(link, "news", id)
	// The link carries the channel's genesis; bob's node learns the
	// change that made him a poster from alice's.
	waitInfo(t, b, id, "bob learns that he is a poster", func(d groupDetailJSON) error {
		if !slices.Equal(d.Posters, []string{bob.id.Fingerprint}) {
			return fmt.Errorf("posters %q, want bob", d.Posters)
		}
		return nil
	})
	b.waitPeers("news", alice.id.PeerID)
	awaitMesh(t, "news", a, b)

	a.ok("group", "update", id, "--remove-poster", bob.id.Fingerprint)
	waitInfo(t, b, id, "bob sees that he may no longer post", func(d groupDetailJSON) error {
		if len(d.Posters) != 0 || d.Version != 3 {
			return fmt.Errorf("version %d, posters %q", d.Version, d.Posters)
		}
		return nil
	})
	checkOneLineError(t, b.run("send", "news", "bob's scoop"), 1, "only the owner, admins and posters post here")
	a.sendNow("news", "doors open at eight")
	waitText(t, b, "news", alice.id.Fingerprint, "doors open at eight")
	a.synced("news")
	for _, m := range a.groupLog("news") {
		if m.Text == "bob's scoop" {
			t.Errorf("a refused post is in the channel: %+v", m)
		}
	}
}
