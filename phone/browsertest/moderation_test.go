package browsertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"starling/internal/testwait"
)

// TestPhoneModeration: what the owner does reaches the phone and its
// engine applies it as the daemon does. The laptop's user owns an open
// group: deleting the phone's message hides it on the phone, banning the
// phone's person leaves them unable to post, saying why. In an
// announcement channel the phone reads and cannot post.
func TestPhoneModeration(t *testing.T) {
	requireEngine(t)
	ctx := context.Background()
	browser := newBrowser(t)
	e := newEvent(t, "club", "open")
	relayNode, laptop := e.relay, e.laptop
	if _, err := laptop.client.CreateGroup(ctx, "news", "announce", nil); err != nil {
		t.Fatal(err)
	}
	news := laptop.invite("news", relayNode)
	if _, err := relayNode.client.Join(ctx, news); err != nil {
		t.Fatal(err)
	}

	p := newPhone(t, browser, "phone")
	p.start(relayNode.pageWithInvite(e.link), "gus")
	p.waitGroup("club")
	fp := p.fingerprint()
	p.post("a post the owner will delete")
	p.post("a post that stays")
	laptop.waitHistory("club", "a post the owner will delete")
	laptop.waitHistory("club", "a post that stays")

	// Deletion by the owner.
	page, err := laptop.client.History(ctx, "club", 100, true, "")
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, m := range page.Messages {
		if m.Text == "a post the owner will delete" {
			id = m.ID
		}
	}
	if id == "" {
		t.Fatal("the laptop does not hold the phone's post")
	}
	if _, err := laptop.client.Delete(ctx, "club", id, "off topic"); err != nil {
		t.Fatal(err)
	}
	p.waitJS("the deleted post disappears from the phone", `!document.querySelector('[data-id="`+id+`"]')`)
	p.waitText("a post that stays")

	// A ban.
	if _, err := laptop.client.Ban(ctx, "club", fp, "spam"); err != nil {
		t.Fatal(err)
	}
	p.waitJS("the phone says its person was banned and cannot post",
		`!document.getElementById('refused').hidden && document.getElementById('input').disabled`)
	p.screenshot("phone-banned")

	// An announcement channel: the phone reads, only the owner posts.
	// Joined through the page's Join dialog, as a pasted link.
	p.do(chromedp.Click(chromedp.CSS("#open-drawer")), chromedp.Click(chromedp.CSS("#open-join")),
		chromedp.SendKeys(chromedp.CSS("#join-input"), news), chromedp.Click(chromedp.CSS("#join-submit")))
	p.waitJS("the join dialog closes", `!document.getElementById('join-dialog').open`)
	p.waitGroup("news")
	laptop.send("news", "doors open at eight")
	p.waitText("doors open at eight")
	p.waitJS("the phone cannot post in the announcement channel",
		`!document.getElementById('refused').hidden && document.getElementById('input').disabled`)
	if got := mustEval[string](p, `__phone.post([...__phone.groups.values()].find(g => g.name === 'news').id, 'not allowed', '').then(() => 'posted', (e) => e.code)`); got != "not-allowed" {
		t.Errorf("posting in the announcement channel from the phone: %q, want the engine's not-allowed", got)
	}
	p.screenshot("phone-announcements")

	// Leaving forgets the group on this phone, across a reload.
	p.do(chromedp.Click(chromedp.CSS("#open-info")), chromedp.Click(chromedp.CSS("#info-leave")))
	gone := `![...document.querySelectorAll('#groups .name')].some(n => n.textContent === 'news') && ![...__phone.groups.values()].some(g => g.name === 'news')`
	p.waitJS("the announcement channel is gone", gone)
	p.do(reload())
	p.waitJS("the page is back", `globalThis.__phone?.me != null && document.querySelectorAll('#groups .name').length > 0`)
	p.waitJS("the channel stays gone after a reload", gone)
}

// TestPhoneAlert: an organiser's alert reaches the phone, which shows it
// and acknowledges it to the group's peers, so that the organiser's node
// counts the phone in the alert's reach.
func TestPhoneAlert(t *testing.T) {
	requireEngine(t)
	ctx := context.Background()
	browser := newBrowser(t)
	e := newEvent(t, "hall", "open")
	p := newPhone(t, browser, "phone")
	p.start(e.relay.pageWithInvite(e.link), "jo")
	p.waitGroup("hall")
	a, err := e.laptop.client.SendAlert(ctx, "hall", "fire exit B is closed")
	if err != nil {
		t.Fatal(err)
	}
	p.waitJS("the phone shows the alert", `[...document.querySelectorAll('#messages .alert')].some(n => n.textContent.includes('fire exit B is closed'))`)
	testwait.UntilNil(t, waitTimeout, "the organiser's node counts the phone's acknowledgement", func() error {
		as, err := e.laptop.client.Alerts(ctx, "hall")
		if err != nil {
			return err
		}
		for _, x := range as {
			if x.ID == a.ID {
				if x.Acks < 1 {
					return fmt.Errorf("the alert has %d acknowledgements (reached %d of %d)", x.Acks, x.Reached, x.Devices)
				}
				return nil
			}
		}
		return fmt.Errorf("the organiser's node lists no alert %s", a.ID)
	})
	p.screenshot("phone-alert")
}
