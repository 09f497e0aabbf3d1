package tui

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text from peers is laid out cell by cell, so nothing in it may move the
// cursor or change how the terminal reads what follows. clean shows control
// characters (escape sequences, carriage returns, C1 codes) and
// bidirectional overrides and isolates (which would reorder the delivery
// state and the next message on a terminal that implements them) as Go
// escapes, and turns a tab into four spaces, since its width depends on the
// column. Newlines stay unless oneLine, which shows them as ⏎. Invisible
// and combining characters stay as sent: they take the width the terminal
// gives them.
func clean(s string, oneLine bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case r == '\n' && oneLine:
			b.WriteString("⏎")
		case r == '\n':
			b.WriteRune(r)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isBidiControl reports the explicit embeddings, overrides and isolates
// (U+202A-U+202E, U+2066-U+2069).
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// width is how many terminal cells s takes, ANSI sequences aside.
func width(s string) int { return ansi.StringWidth(s) }

// wrap breaks plain text (already cleaned) into lines of at most first
// cells for the first line and rest cells for the others. It breaks at
// spaces where it can and inside a word only when the word is longer than a
// line; a newline always breaks. Widths count cells by grapheme cluster, as
// the terminal does, so wide characters and emoji sequences never split.
func wrap(s string, first, rest int) []string {
	first, rest = max(first, 1), max(rest, 1)
	var lines []string
	limit := first
	for para := range strings.SplitSeq(s, "\n") {
		var line strings.Builder
		lineW := 0
		flush := func() {
			lines = append(lines, line.String())
			line.Reset()
			lineW = 0
			limit = rest
		}
		for _, word := range splitWords(para) {
			ww := width(word)
			if lineW > 0 && lineW+ww > limit {
				if strings.TrimSpace(word) == "" {
					// The spaces at a break are the break.
					flush()
					continue
				}
				flush()
			}
			if ww <= limit-lineW {
				line.WriteString(word)
				lineW += ww
				continue
			}
			// A word longer than a whole line: cut it by clusters.
			for g := range graphemes(word) {
				gw := width(g)
				if lineW > 0 && lineW+gw > limit {
					flush()
				}
				line.WriteString(g)
				lineW += gw
			}
		}
		lines = append(lines, line.String())
		limit = rest
	}
	return lines
}

// splitWords splits s into runs of spaces and runs of everything else.
func splitWords(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i == 0 {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if (r == ' ') != (prev == ' ') {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// graphemes yields the grapheme clusters of s.
func graphemes(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for s != "" {
			g, _ := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
			if g == "" {
				return
			}
			if !yield(g) {
				return
			}
			s = s[len(g):]
		}
	}
}

// fit cuts a styled line to n cells and pads it with spaces to exactly n.
func fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if width(s) > n {
		s = ansi.Truncate(s, n, "…")
	}
	return s + strings.Repeat(" ", max(0, n-width(s)))
}
