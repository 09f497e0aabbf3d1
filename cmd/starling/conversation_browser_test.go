package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"starling/internal/headless"
	"starling/internal/testwait"
	"starling/webui"
)

// msgJS finds, in the page, the message whose text is text.
func msgJS(text string) string {
	return `[...document.querySelectorAll('#messages .msg')].find((m) => m.querySelector('.text')?.textContent === ` + jsString(text) + `)`
}

// chipsJS lists a message's reaction chips as "👍 2*" (* for this user's).
func chipsJS(text string) string {
	return `(() => { const m = ` + msgJS(text) + `; return m ? [...m.querySelectorAll('.reaction')].map((c) => c.textContent + (c.classList.contains('mine') ? '*' : '')) : ['not shown']; })()`
}

func (b *tab) waitChips(text string, want ...string) {
	b.t.Helper()
	testwait.UntilNil(b.t, meetTimeout, fmt.Sprintf("%s shows reactions %q", b.name, want), func() error {
		got, err := eval[[]string](b, chipsJS(text))
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("chips %q", got)
		}
		return nil
	})
}

// The web UI's conversation with a daemon behind it, in Chromium: a text
// that mentions alice is marked; React and its palette put a chip under
// the text, bob's reactions update it live, and a click on her own chip
// takes hers back; Reply quotes the message above the input and sends the
// answer as a reply; typing "@b" lists bob, Tab completes him, and "@z"
// says nobody is called that.
func TestBrowserRepliesAndReactions(t *testing.T) {
	chromium := headless.Chromium(t)
	shots := headless.ArtifactDir(t, "browser")
	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	_, aliceID, aliceOut := alice.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0")
	_, bobID, _ := bob.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", aliceID.addr(t, "/ip4/127.0.0.1/tcp/"))
	for _, h := range []*testHome{alice, bob} {
		h.ok("join", "lobby")
	}
	alice.waitPeers("lobby", bobID.PeerID)
	awaitMesh(t, "lobby", alice, bob)

	a := newTab(t, newBrowser(t, chromium), "alice")
	a.do(chromedp.Navigate(webLink(t, aliceOut)))
	a.waitJS("the page is live in lobby", `document.getElementById('st-conn').textContent === 'live' && `+
		`document.getElementById('group-name').textContent === 'lobby'`)

	lunch := "lunch at noon, @alice?"
	hello := bob.sendNow("lobby", lunch)
	a.waitText(lunch)
	a.waitJS("the mention is marked", msgJS(lunch)+`.classList.contains('mention')`)

	a.do(chromedp.Evaluate[chromedp.Void](msgJS(lunch) + `.querySelector('.react-open').click()`))
	a.waitJS("the palette opens", `!!document.querySelector('.react-palette')`)
	a.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.react-palette button')].find((b) => b.textContent === '👍').click()`))
	a.waitChips(lunch, "👍 1*")
	bob.ok("react", "lobby", hello, "👍")
	bob.ok("react", "lobby", hello, "🎉")
	a.waitChips(lunch, "👍 2*", "🎉 1")
	a.screenshot(shots, "alice-reactions.png")

	a.do(chromedp.Evaluate[chromedp.Void](msgJS(lunch) + `.querySelector('.reply-open').click()`))
	a.waitJS("the reply bar quotes bob", `!document.getElementById('reply-bar').hidden && `+
		`document.getElementById('reply-quote').textContent === 'Replying to bob: '+`+jsString(lunch))
	a.send("sure, see you there")
	a.waitJS("the reply shows its quote and the bar goes", msgJS("sure, see you there")+`?.querySelector('.reply')?.textContent === '↪ bob: '+`+jsString(lunch)+
		` && document.getElementById('reply-bar').hidden`)
	testwait.UntilNil(t, meetTimeout, "bob holds alice's reply", func() error {
		for _, e := range bob.entries("lobby") {
			if e.Text == "sure, see you there" {
				if e.Ref != hello {
					return fmt.Errorf("ref %q, want %s", e.Ref, hello)
				}
				return nil
			}
		}
		return errors.New("not there yet")
	})

	a.do(chromedp.Evaluate[chromedp.Void](msgJS(lunch) + `.querySelector('.reaction.mine').click()`))
	a.waitChips(lunch, "👍 1", "🎉 1")

	a.do(chromedp.SendKeys(chromedp.CSS("#input"), "thanks @b"))
	a.waitJS("the picker lists bob", `!document.getElementById('mention-list').hidden && `+
		`[...document.querySelectorAll('#mention-list button')].map((b) => b.textContent).join() === '@bob'`)
	a.screenshot(shots, "alice-mention-picker.png")
	a.do(chromedp.SendKeys(chromedp.CSS("#input"), kb.Tab))
	a.waitJS("Tab completes @bob", `document.getElementById('input').value === 'thanks @bob ' && document.getElementById('mention-list').hidden`)
	a.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('input').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#input"), "hi @z"))
	a.waitJS("the picker says nobody is called @z", `document.querySelector('#mention-list .none')?.textContent === 'Nobody here is called @z…'`)
	a.do(chromedp.SendKeys(chromedp.CSS("#input"), kb.Tab))
	a.waitJS("Tab says so too", `document.getElementById('notice').textContent === 'nobody here is called @z…' && document.getElementById('input').value === 'hi @z'`)
}

// mentionJS runs the page's own mention module on the picker's cases.
const mentionJS = `(async () => {
  const { mentionPrefix, matchNames, completeMention } = await import('/js/mention.js');
  const names = ['alice', 'Alan', 'bob', 'al', 'Bob', 'carol'];
  return {
    prefixes: ['hi @c', 'mail me@b', 'hi @bob ', 'hi', '@'].map((s) => String(mentionPrefix(s))),
    completed: ['hi @c', 'hi @B', '@ali', 'hi @al'].map((s) => completeMention(s, names).text),
    errors: ['hi @a', 'hi @z'].map((s) => completeMention(s, names).error),
    matched: matchNames(names, 'AL'),
  };
})()`

// The mention module in Chromium agrees with package api's rules (see
// api/mention_test.go): unique prefixes without case, the exact name
// first, ambiguity named.
func TestBrowserMentionRules(t *testing.T) {
	chromium := headless.Chromium(t)
	_, addr := serveWebUI(t, webui.Config{API: noAPI{}, APIToken: "unused"})
	page := newTab(t, newBrowser(t, chromium), "page")
	page.do(chromedp.Navigate("http://" + addr + "/"))
	raw, err := chromedp.Run(page.ctx, chromedp.Evaluate[[]byte](mentionJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the mention module: %v", err)
	}
	var got struct {
		Prefixes, Completed, Errors, Matched []string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if want := []string{"c", "null", "null", "null", ""}; !slices.Equal(got.Prefixes, want) {
		t.Errorf("prefixes %q, want %q", got.Prefixes, want)
	}
	if want := []string{"hi @carol ", "hi @bob ", "@alice ", "hi @al "}; !slices.Equal(got.Completed, want) {
		t.Errorf("completed %q, want %q", got.Completed, want)
	}
	if want := []string{"@a could be al, Alan, alice; type more of the name", "nobody here is called @z…"}; !slices.Equal(got.Errors, want) {
		t.Errorf("errors %q, want %q", got.Errors, want)
	}
	if want := []string{"al"}; !slices.Equal(got.Matched, want) {
		t.Errorf("matched %q, want %q", got.Matched, want)
	}
}
