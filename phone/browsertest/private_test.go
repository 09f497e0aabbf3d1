package browsertest

import (
	"context"
	"fmt"
	"testing"

	"starling/internal/testwait"
)

// TestPhonePrivateGroup: a private group created on the laptop, carried by
// the relay as ciphertext; its invite opened on a phone, which reads the
// sealed messages and sends sealed ones the laptop reads and the relay
// cannot.
func TestPhonePrivateGroup(t *testing.T) {
	requireEngine(t)
	ctx := context.Background()
	browser := newBrowser(t)
	e := newEvent(t, "secret", "private")
	relayNode, laptop, link := e.relay, e.laptop, e.link
	laptop.send("secret", "sealed hello from the laptop")

	p := newPhone(t, browser, "phone")
	p.start(relayNode.pageWithInvite(link), "dana")
	p.waitGroup("secret")
	p.waitText("sealed hello from the laptop")
	p.post("sealed reply from the phone")
	laptop.waitHistory("secret", "sealed reply from the phone")
	laptop.send("secret", "the laptop read it")
	p.waitText("the laptop read it")

	// The relay stores and forwards what it cannot read.
	testwait.UntilNil(t, waitTimeout, "the relay holds the phone's message, unreadable", func() error {
		page, err := relayNode.client.History(ctx, e.group, 200, true, "")
		if err != nil {
			return err
		}
		unreadable := 0
		for _, m := range page.Messages {
			if m.Text == "sealed reply from the phone" || m.Text == "sealed hello from the laptop" {
				return fmt.Errorf("the relay reads %q", m.Text)
			}
			if m.Unreadable {
				unreadable++
			}
		}
		if unreadable < 3 {
			return fmt.Errorf("it holds %d unreadable messages, want at least 3", unreadable)
		}
		return nil
	})
	p.screenshot("phone-private")
}
