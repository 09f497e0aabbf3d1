package browsertest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"starling/internal/testwait"
)

// start opens url on the phone (an invite in its fragment, or none) and,
// on a first visit, gives the name the page asks for.
func (p *phone) start(url, name string) {
	p.t.Helper()
	p.open(url)
	p.waitJS("the page asks for a name or knows its person", `!document.getElementById('name-dialog').open ? globalThis.__phone?.me != null : true`)
	if mustEval[bool](p, `document.getElementById('name-dialog').open`) {
		p.do(chromedp.SendKeys(chromedp.CSS("#name-input"), name), chromedp.Click(chromedp.CSS("#name-submit")))
	}
	p.waitJS("the page has an identity", `globalThis.__phone?.me?.fingerprint != null`)
}

// fingerprint is the phone person's fingerprint.
func (p *phone) fingerprint() string {
	p.t.Helper()
	return mustEval[string](p, `__phone.me.fingerprint`)
}

// texts returns the texts of the conversation shown.
func (p *phone) texts() []string {
	p.t.Helper()
	got, err := eval[[]string](p, `[...document.querySelectorAll('#messages .msg .text')].map((e) => e.textContent)`)
	if err != nil {
		p.t.Fatalf("%s: read the conversation: %v", p.name, err)
	}
	return got
}

// waitText waits until the conversation shown holds text.
func (p *phone) waitText(text string) {
	p.t.Helper()
	testwait.UntilNil(p.t, waitTimeout, fmt.Sprintf("%s shows %q", p.name, text), func() error {
		if got := p.texts(); !slices.Contains(got, text) {
			shown, _ := eval[string](p, `[...document.querySelectorAll('#fatal,#notice,#refused,#learning')].filter(e => !e.hidden).map(e => e.textContent).join(' | ')`)
			stats, _ := eval[string](p, `JSON.stringify(__phone.stats)`)
			return fmt.Errorf("the conversation shows %q; the page says %q; its counts: %s", got, shown, stats)
		}
		return nil
	})
}

// waitGroup waits until the page shows the group named name, learnt.
func (p *phone) waitGroup(name string) {
	p.t.Helper()
	p.waitJS("the group "+name+" is shown and learnt", `document.getElementById('group-name').textContent === `+jsString(name)+
		` && [...__phone.groups.values()].some(g => g.name === `+jsString(name)+` && g.genesisKnown)`)
}

// post types text and sends it.
func (p *phone) post(text string) {
	p.t.Helper()
	p.waitJS("the message box is enabled", `!document.getElementById('input').disabled`)
	p.do(chromedp.SendKeys(chromedp.CSS("#input"), text), chromedp.Click(chromedp.CSS("#send")))
	p.waitText(text)
}

// waitHistory waits until the daemon's history of ref holds text.
func (d *daemonNode) waitHistory(ref, text string) {
	d.t.Helper()
	testwait.UntilNil(d.t, waitTimeout, fmt.Sprintf("%s holds %q in %s", d.name, text, ref), func() error {
		page, err := d.client.History(context.Background(), ref, 200, true, "")
		if err != nil {
			return err
		}
		var got []string
		for _, m := range page.Messages {
			if m.Text == text {
				if m.Unreadable {
					return fmt.Errorf("the message is there but unreadable")
				}
				return nil
			}
			got = append(got, m.Text)
		}
		return fmt.Errorf("it holds %q", got)
	})
}

// send sends text in ref from the daemon's user.
func (d *daemonNode) send(ref, text string) {
	d.t.Helper()
	if _, err := d.client.Send(context.Background(), ref, text); err != nil {
		d.t.Fatalf("%s: send %q: %v", d.name, text, err)
	}
}

// invite is an invite link to ref that names relay's WebSocket and TCP
// addresses.
func (d *daemonNode) invite(ref string, relay *daemonNode) string {
	d.t.Helper()
	addrs := []string{relay.wsPeerAddr()}
	for _, a := range relay.tcpAddrs() {
		addrs = append(addrs, fmt.Sprintf("%s/p2p/%s", a, relay.node.ID()))
	}
	link, err := d.client.Invite(context.Background(), ref, addrs)
	if err != nil {
		d.t.Fatalf("%s: invite to %s: %v", d.name, ref, err)
	}
	return link
}

// pageWithInvite is the page's URL on d with link in its fragment, as the
// door poster's QR code or a friend's screen gives it.
func (d *daemonNode) pageWithInvite(link string) string {
	return d.pageURL() + "#" + link
}

// requireIdentity checks that the phone still has the identity whose
// fingerprint was want.
func requireIdentity(t *testing.T, p *phone, want string) {
	t.Helper()
	if got := p.fingerprint(); got != want {
		t.Fatalf("%s's fingerprint after a reload is %s, want %s (the identity must survive)", p.name, got, want)
	}
}

// event is an organiser relay that serves the page and a laptop node
// connected to it, whose user created a group the relay carries; link
// invites to it through the relay.
type event struct {
	relay, laptop *daemonNode
	link          string
	group         string // its ID
}

// newEvent starts the relay and the laptop and creates the group named
// name of kind ("open", "private", "announce") on the laptop. The relay
// joins an open group's link; it carries a private group by its carrier
// link, as ciphertext.
func newEvent(t *testing.T, name, kind string) *event {
	t.Helper()
	ctx := context.Background()
	e := &event{relay: startDaemon(t, "relay", asRelay)}
	e.laptop = startDaemon(t, "laptop", withPeers(e.relay))
	g, err := e.laptop.client.CreateGroup(ctx, name, kind, nil)
	if err != nil {
		t.Fatalf("the laptop creates %s: %v", name, err)
	}
	e.group = g.ID
	e.link = e.laptop.invite(name, e.relay)
	relayLink := e.link
	if kind == "private" {
		if relayLink, err = e.laptop.client.CarrierInvite(ctx, name, []string{e.relay.wsPeerAddr()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.relay.client.Join(ctx, relayLink); err != nil {
		t.Fatalf("the relay joins %s: %v", name, err)
	}
	return e
}
