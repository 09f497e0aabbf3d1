package browsertest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPhones is the attendees' evening: an organiser relay serves the page,
// a laptop node owns an open group, two phones (separate storage) open its
// invite from the relay. Phone to laptop, laptop to phone, phone to phone
// through the relay; the second phone joins late and gets the history by
// catch-up; a reload keeps the identity and the history.
func TestPhones(t *testing.T) {
	requireEngine(t)
	browser := newBrowser(t)
	e := newEvent(t, "party", "open")
	relayNode, laptop, link := e.relay, e.laptop, e.link
	laptop.send("party", "welcome, from the laptop")

	ann := newPhone(t, browser, "ann")
	ann.start(relayNode.pageWithInvite(link), "ann")
	ann.waitGroup("party")
	ann.waitText("welcome, from the laptop") // catch-up from the relay
	annFP := ann.fingerprint()
	// The page says whose key it holds and which node served it.
	if got := mustEval[string](ann, `document.getElementById('my-fp').textContent.replaceAll(' ', '')`); got != annFP {
		t.Errorf("the page shows the fingerprint %q, want %q", got, annFP)
	}
	ann.waitJS("the page shows a safety code", `/Safety code \S/.test(document.getElementById('my-safety').textContent)`)
	if got, want := mustEval[string](ann, `document.querySelector('#served code').textContent`), relayNode.user.Fingerprint().Pretty(); got != want {
		t.Errorf("the page says it was served by %q, want the relay's fingerprint %q", got, want)
	}

	ann.post("hello from ann's phone")
	laptop.waitHistory("party", "hello from ann's phone")
	ann.waitJS("ann's post is held by a node (a catch-up session confirmed it)",
		`[...document.querySelectorAll('#messages .msg.own')].some(m => m.textContent.includes("hello from ann's phone") && m.querySelector('.delivery').textContent === 'held by a node')`)

	laptop.send("party", "hi ann, from the laptop")
	ann.waitText("hi ann, from the laptop")
	ann.screenshot("phone-ann")

	// Bob arrives late, with the invite ann's phone shows him: the
	// history comes by catch-up.
	ann.do(chromedp.Click(chromedp.CSS("#open-info")))
	ann.waitJS("ann's phone shows an invite", `document.getElementById('info-invite').value.includes('#starling://join?')`)
	annInvite := mustEval[string](ann, `document.getElementById('info-invite').value`)
	ann.screenshot("phone-invite")
	ann.do(chromedp.Click(chromedp.CSS(`#info-dialog button[value="close"]`)))
	bob := newPhone(t, browser, "bob")
	bob.start(annInvite, "bob")
	bob.waitGroup("party")
	bob.waitText("hello from ann's phone")
	bob.waitText("hi ann, from the laptop")
	if bob.fingerprint() == annFP {
		t.Fatal("two phones have the same identity: their storage is shared")
	}

	// Phone to phone, through the relay.
	bob.post("bob here, hello ann")
	ann.waitText("bob here, hello ann")
	ann.post("hello bob")
	bob.waitText("hello bob")
	laptop.waitHistory("party", "bob here, hello ann")
	// Reactions: the laptop's user reacts to ann's post, bob adds his.
	page, err := laptop.client.History(t.Context(), "party", 100, true, "")
	if err != nil {
		t.Fatal(err)
	}
	annPost := ""
	for _, m := range page.Messages {
		if m.Text == "hello from ann's phone" {
			annPost = m.ID
		}
	}
	if _, err := laptop.client.React(t.Context(), "party", annPost, "🎉", false); err != nil {
		t.Fatal(err)
	}
	chips := `[...document.querySelectorAll('[data-reactions="` + annPost + `"] .reaction')].map(b => b.textContent).join(' ')`
	bob.waitJS("bob sees the laptop's reaction", chips+` === '🎉 1'`)
	bob.do(chromedp.Click(chromedp.CSS(`[data-id="` + annPost + `"] .actions .react`)))
	ann.waitJS("ann sees both reactions", chips+` === '🎉 1 👍 1'`)
	bob.screenshot("phone-bob")

	// A picture: the phone shows its preview and caption.
	if _, err := laptop.client.SendImage(t.Context(), "party", testPNG(t), "a picture from the laptop", ""); err != nil {
		t.Fatal(err)
	}
	ann.waitText("a picture from the laptop")
	ann.waitJS("the picture's preview is drawn", `[...document.querySelectorAll('figure.picture img.preview')].some(i => i.complete && i.naturalWidth > 0)`)
	// Then the picture itself: its chunks fetched by ID from the relay or
	// the laptop, checked by the engine against the manifest, drawn at the
	// size the laptop sent.
	fullPicture := `[...document.querySelectorAll('figure.picture img.full')].some(i => i.complete && i.naturalWidth === 160 && i.naturalHeight === 120)`
	ann.waitJS("the full picture is drawn at its natural size", fullPicture)
	if n := mustEval[float64](ann, `(async () => (await globalThis.__phone.store.db.getAll('chunks')).length)()`); n < 1 {
		t.Errorf("the picture's chunks are not stored: %v records", n)
	}
	ann.screenshot("phone-picture")

	// A reload keeps the identity and the history.
	ann.do(reload())
	ann.waitJS("the page is back", `globalThis.__phone?.me != null`)
	requireIdentity(t, ann, annFP)
	ann.waitGroup("party")
	ann.waitText("hello from ann's phone")
	ann.waitText("bob here, hello ann")
	ann.waitJS("the full picture is drawn again after the reload", fullPicture)
	// Nothing honest nodes sent was rejected (a relay once regossiped the
	// chunks it fetched).
	if n := mustEval[float64](bob, `__phone.stats.rejected`); n != 0 {
		t.Errorf("bob's phone rejected %v messages from honest nodes", n)
	}
	ann.screenshot("phone-ann-reloaded")
}

// testPNG is a 160x120 picture with a gradient, as a PNG file.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y * 2), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
