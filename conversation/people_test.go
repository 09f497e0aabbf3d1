package conversation

import (
	"errors"
	"strings"
	"testing"

	"starling/group"
	"starling/identity"
)

// Issue 18: whois, block and mute took only a whole fingerprint. A person
// is found by a unique start of their fingerprint (at least 4 characters,
// with or without the "…" the chats show) or by a nickname; an ambiguous
// one is refused naming who it could be.
func TestMatchPerson(t *testing.T) {
	const (
		ann  = identity.Fingerprint("annaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		anne = identity.Fingerprint("annebbbbbbbbbbbbbbbbbbbbbbbbbbbb")
		sam1 = identity.Fingerprint("sam2cccccccccccccccccccccccccccc")
		sam2 = identity.Fingerprint("xyz2dddddddddddddddddddddddddddd")
	)
	known := map[identity.Fingerprint][]string{ann: {"Ann"}, anne: {"anne"}, sam1: {"sam"}, sam2: {"sam", "samuel"}}
	for _, c := range []struct {
		ref  string
		want identity.Fingerprint
		err  error
		says string
	}{
		{ref: "anneb", want: anne},
		{ref: "ANNA", want: ann},
		{ref: "…anneb", want: anne},
		{ref: "anne bbbb", want: anne}, // the start of the form in blocks of four
		{ref: " ANNE BB… ", want: anne},
		{ref: "Ann Smith", err: group.ErrUnknownPerson, says: `"Ann Smith"`}, // a nickname is matched whole
		{ref: "ann", want: ann},                                              // too short for a prefix: Ann's nickname
		{ref: "samuel", want: sam2},                                          // one of sam2's nicknames
		{ref: "sam2", want: sam1},                                            // a prefix wins over a nickname
		{ref: "anne", want: anne},                                            // a prefix of anne's fingerprint, and her nickname
		{ref: "annx", err: group.ErrUnknownPerson, says: `"annx"`},
		{ref: "sam", err: group.ErrAmbiguousPerson, says: "sam " + string(sam1) + ", sam/samuel " + string(sam2)},
		{ref: "an", err: group.ErrUnknownPerson, says: "at least 4 characters"},
	} {
		got, err := matchPerson(c.ref, known)
		switch {
		case c.err == nil && (err != nil || got != c.want):
			t.Errorf("%q: %s, %v; want %s", c.ref, got, err, c.want)
		case c.err != nil && (!errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%q: %s, %v; want %v saying %q", c.ref, got, err, c.err, c.says)
		}
	}
}
