package tui

import (
	"strings"
	"testing"

	"starling/api"
)

func TestImageBody(t *testing.T) {
	x := api.Message{ID: strings.Repeat("ab", 32), Kind: "image", Text: "the map",
		Image: &api.Image{Format: "jpeg", Width: 1600, Height: 1200, Size: 99_400, Chunks: 2, Held: 1}}
	got := imageBody(x)
	for _, want := range []string{"1600×1200 JPEG, 99 KB", "held 1/2", "the map", "starling image save abababab"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	x.Image.Held, x.Image.Broken = 2, true
	if got := imageBody(x); !strings.Contains(got, "damaged") || strings.Contains(got, "held") {
		t.Errorf("broken picture: %q", got)
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct{ in, path, rest string }{
		{"map.jpg", "map.jpg", ""},
		{"map.jpg the hall", "map.jpg", "the hall"},
		{`"my photos/map 1.png" exits`, "my photos/map 1.png", "exits"},
		{"  ", "", ""},
	} {
		if p, r := splitPath(c.in); p != c.path || r != c.rest {
			t.Errorf("splitPath(%q) = %q, %q; want %q, %q", c.in, p, r, c.path, c.rest)
		}
	}
}
