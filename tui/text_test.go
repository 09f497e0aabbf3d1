package tui

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestChatWrap(t *testing.T) {
	family := "👩\u200d👩\u200d👧"
	for _, tc := range []struct {
		name        string
		s           string
		first, rest int
		want        []string
	}{
		{"fits", "hello world", 20, 20, []string{"hello world"}},
		{"at spaces", "one two three four", 9, 9, []string{"one two ", "three ", "four"}},
		{"narrower first line", "one two three four", 4, 14, []string{"one ", "two three four"}},
		{"newlines always break", "a\n\nb", 10, 10, []string{"a", "", "b"}},
		{"long word cut", "abcdefghij", 4, 4, []string{"abcd", "efgh", "ij"}},
		{"wide characters take two cells", "漢字漢字漢", 4, 4, []string{"漢字", "漢字", "漢"}},
		{"a wide character never splits", "a漢字", 2, 2, []string{"a", "漢", "字"}},
		{"emoji sequence stays whole", "ab" + family + "cd", 3, 3, []string{"ab", family + "c", "d"}},
		{"combining mark stays with its letter", "cafe\u0301s", 4, 4, []string{"cafe\u0301", "s"}},
		{"empty", "", 5, 5, []string{""}},
		{"zero width is treated as one", "abc", 0, 0, []string{"a", "b", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wrap(tc.s, tc.first, tc.rest)
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("wrap(%q, %d, %d) (-want +got):\n%s", tc.s, tc.first, tc.rest, diff)
			}
			for i, l := range got {
				limit := tc.rest
				if i == 0 {
					limit = tc.first
				}
				if width(l) > max(limit, 1) && width(l) > 2 {
					t.Errorf("line %d %q is %d cells, over %d", i, l, width(l), limit)
				}
			}
		})
	}
}

func TestChatCleanForTerminal(t *testing.T) {
	for _, tc := range []struct {
		s       string
		oneLine bool
		want    string
	}{
		{"red \x1b[31mtext\x1b[0m", false, `red \x1b[31mtext\x1b[0m`},
		{"over\rwrite", false, `over\x0dwrite`},
		{"tab\there", false, "tab    here"},
		{"two\nlines", false, "two\nlines"},
		{"two\nlines", true, "two⏎lines"},
		{"evil \u202eoverride", false, `evil \u202eoverride`},
		{"bad \xff byte", false, `bad \xff byte`},
		{"c1 \u009b code", false, `c1 \u009b code`},
		{"zero\u200bwidth cafe\u0301", false, "zero\u200bwidth cafe\u0301"},
	} {
		if got := clean(tc.s, tc.oneLine); got != tc.want {
			t.Errorf("clean(%q, %v) = %q, want %q", tc.s, tc.oneLine, got, tc.want)
		}
	}
}
