package node_test

import (
	"testing"

	"starling/identity"
	"starling/message"
	"starling/store"
)

// Text is kept byte for byte, including the invisible and combining
// characters people insert to slip past keyword filters: nothing on the way
// normalises, trims or re-encodes it, and the nick survives too.
func TestTextRoundTrip(t *testing.T) {
	t.Parallel()
	virtual(t, testTextRoundTrip)
}

func testTextRoundTrip(t *testing.T) {
	texts := []string{
		"zero\u200bwidth space",
		"zero\u200dwidth joiner and non\u200cjoiner",
		"heart with variation selector \u2764\ufe0f",
		"cafe\u0301 with a combining acute, not caf\u00e9",
		"right-to-left \u202eoverride\u202c popped",
		"family \U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 and flag \U0001F3F3\ufe0f\u200d\U0001F308",
		"\ufeffbyte order mark and soft\u00adhyphen",
		"  leading and trailing space, tab\tand\nnewline  ",
		"nul byte:\x00.",
	}
	nick := "a\u200dlice\u0301"
	sender, err := identity.NewUser(nick)
	if err != nil {
		t.Fatal(err)
	}
	alice := startNode(t, "alice", withUser(sender))
	bob := startNode(t, "bob")
	connect(t, alice, bob)
	alice.join(t, "lobby")
	bob.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, bob)

	var sent []*message.Message
	for _, text := range texts {
		sent = append(sent, alice.send(t, "lobby", text))
	}
	requireConverged(t, []*testNode{alice, bob}, map[string][]*message.Message{"lobby": sent})

	_, page, err := bob.History("lobby", store.Query{Limit: len(texts)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[message.ID]message.Text{}
	for _, st := range page.Messages {
		txt, err := st.Msg.Text()
		if err != nil {
			t.Fatalf("bob cannot read %s: %v", st.Msg.ID.Short(), err)
		}
		got[st.Msg.ID] = txt
	}
	for i, m := range sent {
		if txt := got[m.ID]; txt.Text != texts[i] || txt.Nick != nick {
			t.Errorf("bob has %+q from %+q, want %+q from %+q", txt.Text, txt.Nick, texts[i], nick)
		}
	}
}
