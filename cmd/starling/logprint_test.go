package main

import (
	"strings"
	"testing"
	"time"

	"starling/api"
)

// Issue 18: log printed a deletion as if its author had posted the reason
// ("(etycmogp): wrong time"), and an empty line when there was none. A
// deletion and an Op are now a line of what their author did, naming
// people by the nicknames their texts carry.
func TestLogDescribesDeletions(t *testing.T) {
	const alice, bob = "etycmogpaaaaaaaaaaaaaaaaaaaaaaaa", "bobbbbbbaaaaaaaaaaaaaaaaaaaaaaaa"
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.Local)
	msgs := []api.Message{
		{Kind: "text", Author: alice, Name: "alice", Text: "party at 9", SentAt: at},
		{Kind: "text", Author: bob, Name: "bob", Text: "spam spam", SentAt: at},
		{Kind: "delete", Author: alice, Text: "wrong time", Ref: "x", SentAt: at.Add(time.Minute)},
		{Kind: "delete", Author: alice, Ref: "y", SentAt: at.Add(2 * time.Minute)},
		{Kind: "op", Author: alice, Action: "ban", Target: bob, Reason: "spam", Text: "ban: spam", SentAt: at.Add(3 * time.Minute)},
		{Kind: "op", Author: alice, Action: "role", Role: "admin", Target: bob, Text: "role", SentAt: at.Add(4 * time.Minute)},
	}
	var b strings.Builder
	if err := printAll(&logPrinter{w: &b}, msgs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"alice (etycmogp): party at 9",
		"bob (bobbbbbb): spam spam",
		"* alice (etycmogp) deleted a message: wrong time",
		"* alice (etycmogp) deleted a message",
		"* alice (etycmogp) banned bob (bobbbbbb): spam",
		"* alice (etycmogp) made bob (bobbbbbb) an admin",
	}
	if len(lines) != len(want) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, l := range lines {
		if !strings.HasSuffix(l, "  "+want[i]) {
			t.Errorf("line %d is %q, want it to end %q", i, l, want[i])
		}
	}
}
