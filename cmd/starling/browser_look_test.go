package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"starling/internal/headless"
	"starling/webui"
)

// lookJS drives the page's conversation module (issue 18's web UI items)
// and reports what Chromium drew: authors' colours, the times, the day
// separators, a 16 KB message folded behind "Show more", where the Delete
// button sits against the name, and the placeholder of a deleted message
// the page never held.
const lookJS = `(async () => {
  const { Conversation } = await import('/js/conversation.js');
  const c = new Conversation({ id: 'g', name: 'g', kind: 'channel' },
    { me: { fingerprint: 'me' }, onAuthor() {}, onDelete() {} });
  document.getElementById('messages').replaceChildren(c.el);
  document.getElementById('empty').hidden = true;
  const at = (day, h, m) => new Date(2026, 11, day, h, m).toISOString();
  const msg = (id, author, key, name, sent, text) => ({ id, group_id: 'g', author, author_key: key, name, kind: 'text',
    text, sent_at: sent, received_at: sent, late: false });
  c.add(msg('a1', 'alicefp', KEY_A, 'alice', at(4, 21, 40), 'see you at nine'), false);
  c.add(msg('b1', 'bobfp', KEY_B, 'bob', at(4, 21, 45), 'ok'), false);
  c.add(msg('m1', 'me', 'aa', 'me', at(5, 9, 5), 'morning'), false);
  c.add(msg('a2', 'alicefp', KEY_A, 'alice', at(5, 9, 7), 'x'.repeat(16384)), false);
  c.add({ id: 'd1', group_id: 'g', author: 'alicefp', kind: 'delete', ref: 'gone', text: 'wrong time', sent_at: at(5, 9, 6) }, false);
  const node = (id) => c.el.querySelector('[data-id="' + id + '"]');
  const colour = (id) => getComputedStyle(node(id).querySelector('.author')).color;
  const long = node('a2').querySelector('.text');
  const folded = long.classList.contains('folded') && long.clientHeight < long.scrollHeight / 10;
  const more = node('a2').querySelector('button.more');
  if (more) more.click();
  const unfolded = !long.classList.contains('folded') && long.clientHeight >= long.scrollHeight - 1 && more !== null && more.textContent === 'Show less';
  const actions = node('m1').querySelector('.actions');
  actions.style.display = 'inline';
  const gap = actions.getBoundingClientRect().left - node('m1').querySelector('.author').getBoundingClientRect().right;
  return {
    colours: [colour('a1'), colour('b1'), colour('a2')],
    times: ['a1', 'b1', 'm1'].map((id) => node(id).querySelector('time').textContent),
    days: [...c.el.querySelectorAll('.day-start')].map((e) => e.dataset.id + ' ' + getComputedStyle(e, '::before').content),
    order: [...c.el.children].map((e) => e.dataset.id),
    folded, unfolded, more: more ? more.textContent : '', gap,
    width: c.el.getBoundingClientRect().width,
    deleted: node('gone') ? node('gone').querySelector('.text').textContent : '',
  };
})()`

// terminalColour is the terminal chat's colour for an author's key
// (tui.authorStyle: FNV-1a of the key picks from its palette) as the RGB
// an xterm draws for that 256-colour index.
func terminalColour(key string) string {
	palette := []int{33, 37, 41, 69, 99, 135, 162, 166, 172, 178, 203, 208, 39, 77, 105, 214}
	h := fnv.New32a()
	h.Write([]byte(key))
	i := palette[h.Sum32()%uint32(len(palette))] - 16
	level := func(n int) int {
		if n == 0 {
			return 0
		}
		return 55 + 40*n
	}
	return fmt.Sprintf("rgb(%d, %d, %d)", level(i/36), level(i/6%6), level(i%6))
}

// Issue 18's web UI items, in Chromium: every name was the same green (now
// each author has the terminal chat's colour), 12-hour times and no day
// separators (now a 24-hour clock and a line per day), a 16 KB message in
// full (now folded behind "Show more"), the Delete button against the name
// (now at the line's far end), and a deleted message the page never held
// dropped silently (now a placeholder, as the terminal chat shows).
func TestBrowserConversationLook(t *testing.T) {
	chromium := headless.Chromium(t)
	_, addr := serveWebUI(t, webui.Config{API: noAPI{}, APIToken: "unused"})
	page := newTab(t, newBrowser(t, chromium), "page")
	page.do(chromedp.Navigate("http://" + addr + "/"))
	// Two keys as the API gives them (hex); these two differ in colour.
	keyA, keyB := "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90", "81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9"
	if terminalColour(keyA) == terminalColour(keyB) {
		t.Fatal("the test's two keys have one colour in the terminal; pick others")
	}
	js := strings.NewReplacer("KEY_A", jsString(keyA), "KEY_B", jsString(keyB)).Replace(lookJS)
	raw, err := chromedp.Run(page.ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the conversation module: %v", err)
	}
	var got struct {
		Colours, Times, Days, Order []string
		Folded, Unfolded            bool
		More                        string
		Gap, Width                  float64
		Deleted                     string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	page.screenshot(headless.ArtifactDir(t, "browser"), "conversation-look.png")
	if want := []string{terminalColour(keyA), terminalColour(keyB), terminalColour(keyA)}; strings.Join(got.Colours, "|") != strings.Join(want, "|") {
		t.Errorf("authors' colours %q, want the terminal chat's %q", got.Colours, want)
	}
	if want := "21:40|21:45|09:05"; strings.Join(got.Times, "|") != want {
		t.Errorf("times %q, want %s (24-hour)", got.Times, want)
	}
	if len(got.Days) != 2 || !strings.HasPrefix(got.Days[0], "a1 ") || !strings.HasPrefix(got.Days[1], "m1 ") ||
		!strings.Contains(got.Days[0], "Dec") || !strings.Contains(got.Days[1], "Dec") {
		t.Errorf("day separators %q, want one before a1 (4 Dec) and one before m1 (5 Dec)", got.Days)
	}
	if !got.Folded || !got.Unfolded {
		t.Errorf("a 16 KB message: folded %v, then shown whole by \"Show more\" %v (button says %q)", got.Folded, got.Unfolded, got.More)
	}
	if got.Gap < got.Width/3 {
		t.Errorf("the Delete button is %.0f px from the name on a %.0f px line; want it at the far end", got.Gap, got.Width)
	}
	if want := "message deleted by alice: wrong time"; got.Deleted != want {
		t.Errorf("a deleted message the page never held shows %q, want %q", got.Deleted, want)
	}
	if want := "a1 b1 m1 gone a2"; strings.Join(got.Order, " ") != want {
		t.Errorf("order %q, want %q (the placeholder at the deletion's time)", got.Order, want)
	}
}
