package media

import (
	"image"
	"testing"
)

// labelled returns an image whose pixels carry their letter in R.
func labelled(rows ...string) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, r := range rows {
		for x := range len(r) {
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+3] = r[x], 0xff
		}
	}
	return m
}

func rowsOf(m *image.RGBA) []string {
	var out []string
	for y := range m.Bounds().Dy() {
		var s []byte
		for x := range m.Bounds().Dx() {
			s = append(s, m.Pix[m.PixOffset(x, y)])
		}
		out = append(out, string(s))
	}
	return out
}

// TestOrient: the upright picture is
//
//	abc
//	def
//
// and each case is how a camera stores it under that orientation, written
// from the EXIF specification's table (which row and column of the stored
// image are the visual top and left), not from orient's own formulas.
func TestOrient(t *testing.T) {
	cases := []struct {
		o      int
		stored []string
	}{
		{1, []string{"abc", "def"}},
		{2, []string{"cba", "fed"}},     // row 0 is the top, column 0 the right
		{3, []string{"fed", "cba"}},     // row 0 is the bottom, column 0 the right
		{4, []string{"def", "abc"}},     // row 0 is the bottom, column 0 the left
		{5, []string{"ad", "be", "cf"}}, // row 0 is the left side, column 0 the top
		{6, []string{"cf", "be", "ad"}}, // row 0 is the right side, column 0 the top
		{7, []string{"fc", "eb", "da"}}, // row 0 is the right side, column 0 the bottom
		{8, []string{"da", "eb", "fc"}}, // row 0 is the left side, column 0 the bottom
		{0, []string{"abc", "def"}},     // not an orientation: left alone
		{9, []string{"abc", "def"}},     // likewise
	}
	for _, tc := range cases {
		got := rowsOf(orient(labelled(tc.stored...), tc.o))
		if len(got) != 2 || got[0] != "abc" || got[1] != "def" {
			t.Errorf("orientation %d: stored %q shows as %q, want [abc def]", tc.o, tc.stored, got)
		}
	}
}

func TestExifOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		if got := exifOrientation(exifBlock(o)); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	le := []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00")
	if got := exifOrientation(le); got != 6 {
		t.Errorf("little-endian orientation 6 read as %d", got)
	}
	for name, b := range map[string][]byte{
		"empty":        nil,
		"short":        []byte("MM\x00"),
		"bad magic":    []byte("MM\x00\x2b\x00\x00\x00\x08"),
		"IFD past end": []byte("MM\x00\x2a\xff\xff\xff\xf0"),
		"out of range": exifBlock(9),
		"entries cut":  exifBlock(6)[:20],
		"wrong type":   []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x04\x00\x01\x00\x00\x00\x06\x00\x00\x00"),
	} {
		if got := exifOrientation(b); got != orientNormal {
			t.Errorf("%s: orientation %d, want %d", name, got, orientNormal)
		}
	}
}
