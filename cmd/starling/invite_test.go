package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"rsc.io/qr"

	"starling/group"
)

// linkParams parses an invite link's query.
func linkParams(t *testing.T, link string) url.Values {
	t.Helper()
	rest, ok := strings.CutPrefix(link, "starling://join?")
	if !ok {
		t.Fatalf("%q is not a starling://join? link", link)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		t.Fatalf("the link's query does not parse: %v\n%s", err, link)
	}
	return q
}

// testInvite prints invites to alice's groups: the link, the relays it
// names, the QR code in the terminal and as a PNG. Changed with issue 18:
// a link no longer carries the group's descriptor (joiners learn it from
// members), g is in base64url and the owner's fingerprint comes last, so
// that every link alice can make draws within 80 columns.
func testInvite(t *testing.T, alice *member) {
	h := alice.h.in(t)
	gala, quiet := h.info("gala").ID, h.info("quiet").ID

	link, rest := h.invite(gala)
	if rest != "" {
		t.Errorf("invite without --qr printed more than the link:\n%s", rest)
	}
	q := linkParams(t, link)
	if linkGroup(t, link) != gala || q.Get("o") != alice.id.Fingerprint || !strings.HasSuffix(link, "&o="+alice.id.Fingerprint) ||
		q.Has("d") || q.Has("s") || q.Has("r") {
		t.Errorf("an open group's link carries %v, want g and o (last) only", q)
	}
	if q := linkParams(t, first(h.invite(quiet))); q.Get("s") == "" || q.Get("e") != "1" || q.Has("d") {
		t.Errorf("a private group's link carries %v, want its secret and epoch 1 and no descriptor", q)
	}

	relays := []string{
		alice.id.addr(t, "/ip4/127.0.0.1/tcp/"),
		"/ip4/192.0.2.7/udp/4001/quic-v1/p2p/" + alice.id.PeerID,
	}
	withRelays, _ := h.invite(gala, "--relay", relays[0], "--relay", relays[1])
	if got := linkParams(t, withRelays)["r"]; !slices.Equal(got, relays) {
		t.Errorf("invite --relay: the link names relays %q, want %q", got, relays)
	}

	pngFile := filepath.Join(t.TempDir(), "invite.png")
	drawn, drawing := h.invite(gala, "--qr", "--png", pngFile)
	if drawn != link {
		t.Errorf("invite --qr --png printed another link:\n%s\nwant\n%s", drawn, link)
	}
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	want := qrModules(code)
	if got := terminalModules(t, drawing); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the terminal QR code is not the link's:\n%s", drawing)
	}
	b, err := os.ReadFile(pngFile)
	if err != nil {
		t.Fatalf("invite --png wrote no file: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("invite --png wrote no valid PNG: %v", err)
	}
	if got := pngModules(t, img, len(want)); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the PNG's QR code is not the link's")
	}

	// Every link fits a QR code drawn in 80 columns, the longest too: a
	// private group's with a relay and the ticket its owner signs. (The
	// private group's later epochs, whose links add the epoch key, are
	// measured in testPrivate.) An open channel's link is a link too.
	lanRelay := "/ip4/192.168.1.20/tcp/4001/p2p/" + alice.id.PeerID
	for _, c := range []struct {
		name  string
		args  []string
		param string
	}{
		{"open", []string{gala}, "o"},
		{"private", []string{quiet}, "s"},
		{"open, relay and ticket", []string{gala, "--relay", lanRelay}, "tk"},
		{"private, relay and ticket", []string{quiet, "--relay", lanRelay}, "tk"},
		{"channel", []string{"lobby"}, "n"},
	} {
		link, drawing := h.invite(c.args[0], append(c.args[1:], "--qr")...)
		if !linkParams(t, link).Has(c.param) {
			t.Errorf("%s: the link has no %s: %s", c.name, c.param, link)
		}
		width := checkQRFits(t, link, drawing)
		t.Logf("%s: link %d characters, QR %d columns", c.name, len(link), width)
	}
	channel, _ := h.invite("lobby")
	lobby, _, _ := group.OpenChannelID("lobby")
	if want := "starling://join?n=lobby&g="; !strings.HasPrefix(channel, want) || linkGroup(t, channel) != lobby.String() {
		t.Errorf("the channel's link is %s, want one starting %s with lobby's ID", channel, want)
	}
}

// checkQRFits checks that a terminal QR drawing encodes link and is at
// most 80 columns wide, and returns its width.
func checkQRFits(t *testing.T, link, drawing string) int {
	t.Helper()
	code, err := qrCode(link)
	if err != nil {
		t.Fatal(err)
	}
	grid := terminalModules(t, drawing)
	if want := qrModules(code); !slices.EqualFunc(grid, want, slices.Equal) {
		t.Errorf("the terminal QR code is not the link's:\n%s", drawing)
	}
	if len(grid) > 80 {
		t.Errorf("the QR code of a %d-character link is %d columns wide, more than 80:\n%s", len(link), len(grid), link)
	}
	return len(grid)
}

// first returns the first of two strings.
func first(a, _ string) string { return a }

// qrModules is a code's module grid with its quiet zone, dark true.
func qrModules(c *qr.Code) [][]bool {
	size := c.Size + 2*quietZone
	grid := make([][]bool, size)
	for y := range grid {
		grid[y] = make([]bool, size)
		for x := range grid[y] {
			grid[y][x] = c.Black(x-quietZone, y-quietZone)
		}
	}
	return grid
}

// terminalModules reads a code drawn with half blocks: each character is
// two modules, the upper and the lower, drawn light as foreground.
func terminalModules(t *testing.T, drawing string) [][]bool {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(drawing, "\n"), "\n")
	size := utf8.RuneCountInString(lines[0])
	if size < 21 || len(lines) != (size+1)/2 {
		t.Fatalf("the drawing is %d lines of %d characters, not a QR code:\n%s", len(lines), size, drawing)
	}
	grid := make([][]bool, size)
	for y := range grid {
		grid[y] = make([]bool, size)
	}
	for row, line := range lines {
		if utf8.RuneCountInString(line) != size {
			t.Fatalf("line %d of the drawing is not %d characters wide:\n%s", row, size, drawing)
		}
		for x, r := range []rune(line) {
			var topLight, bottomLight bool
			switch r {
			case '█':
				topLight, bottomLight = true, true
			case '▀':
				topLight = true
			case '▄':
				bottomLight = true
			case ' ':
			default:
				t.Fatalf("the drawing has %q, not a half block:\n%s", r, drawing)
			}
			grid[2*row][x] = !topLight
			if 2*row+1 < size {
				grid[2*row+1][x] = !bottomLight
			}
		}
	}
	return grid
}

// pngModules samples the centre of each module of a size-module code.
func pngModules(t *testing.T, img image.Image, size int) [][]bool {
	t.Helper()
	r := img.Bounds()
	scale := r.Dx() / size
	if r.Dx() != r.Dy() || scale < 1 || r.Dx() != scale*size {
		t.Fatalf("the PNG is %dx%d, not a square of %d modules", r.Dx(), r.Dy(), size)
	}
	grid := make([][]bool, size)
	for y := range grid {
		grid[y] = make([]bool, size)
		for x := range grid[y] {
			c := color.GrayModel.Convert(img.At(r.Min.X+x*scale+scale/2, r.Min.Y+y*scale+scale/2)).(color.Gray)
			grid[y][x] = c.Y < 0x80
		}
	}
	return grid
}

// testRefusedLinks: links that do not verify are refused with one line, and
// the group is not joined. Changed with issue 18: a link carries no
// descriptor, so a link whose owner was changed is refused once the genesis
// comes from a member (alice, bob's peer), and a cut-off link says so.
func testRefusedLinks(t *testing.T, alice, bob *member) {
	a, b := alice.h.in(t), bob.h.in(t)
	gala, bulletin, quiet := a.info("gala").ID, a.info("bulletin").ID, a.info("quiet").ID
	link, _ := a.invite(gala)
	privateLink, _ := a.invite(quiet)

	for _, tc := range []struct{ name, link, hint string }{
		// The genesis, from alice, is hers; the link claims bob owns the
		// group.
		{"another owner", strings.Replace(link, "&o="+alice.id.Fingerprint, "&o="+bob.id.Fingerprint, 1),
			"bad invite link: the group's owner is " + alice.id.Fingerprint[:8] + ", not " + bob.id.Fingerprint[:8] + " as the invite link said; the link was altered"},
		{"cut short", link[:len(link)-10], "bad invite link: this link looks cut off: copy all of it"},
		{"private cut short", privateLink[:len(privateLink)/2], "bad invite link: this link looks cut off: copy all of it"},
		{"not a link", "starling://join?g=zz", "bad invite link: this link looks cut off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, b.in(t).run("join", tc.link), 1, tc.hint)
		})
	}
	var groups []groupJSON
	b.decode(&groups, "groups", "--json")
	for _, g := range groups {
		if g.ID == gala || g.ID == bulletin || g.ID == quiet {
			t.Errorf("bob joined %s through a refused link", g.Name)
		}
	}
	checkOneLineError(t, initHome(t, "dora").run("join", link), 1, "joining by invite link needs the node running")
}
