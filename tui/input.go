package tui

import (
	"strings"
	"unicode/utf8"
)

// maxHistory bounds the input history; the oldest lines go first.
const maxHistory = 500

// input is the line being typed, with a cursor that moves by grapheme
// cluster (so it never lands inside an emoji or before a combining mark)
// and a history of the lines entered, browsed with up and down.
type input struct {
	text   string
	cursor int // byte offset into text, at a cluster boundary

	history []string
	// browsing is the history index shown, len(history) for the line being
	// written (kept in draft while browsing).
	browsing int
	draft    string
}

func (in *input) set(s string) {
	in.text, in.cursor = s, len(s)
}

func (in *input) insert(s string) {
	in.text = in.text[:in.cursor] + s + in.text[in.cursor:]
	in.cursor += len(s)
}

// prevBoundary is the cluster boundary before the cursor.
func (in *input) prevBoundary() int {
	last := 0
	for g := range graphemes(in.text[:in.cursor]) {
		if last+len(g) >= in.cursor {
			break
		}
		last += len(g)
	}
	return last
}

// nextBoundary is the cluster boundary after the cursor.
func (in *input) nextBoundary() int {
	for g := range graphemes(in.text[in.cursor:]) {
		return in.cursor + len(g)
	}
	return in.cursor
}

func (in *input) left()  { in.cursor = in.prevBoundary() }
func (in *input) right() { in.cursor = in.nextBoundary() }
func (in *input) home()  { in.cursor = 0 }
func (in *input) end()   { in.cursor = len(in.text) }

func (in *input) backspace() {
	p := in.prevBoundary()
	in.text, in.cursor = in.text[:p]+in.text[in.cursor:], p
}

func (in *input) del() {
	in.text = in.text[:in.cursor] + in.text[in.nextBoundary():]
}

// killLeft deletes from the start of the line to the cursor (Ctrl-U).
func (in *input) killLeft() {
	in.text, in.cursor = in.text[in.cursor:], 0
}

// killRight deletes from the cursor to the end of the line (Ctrl-K).
func (in *input) killRight() { in.text = in.text[:in.cursor] }

// killWord deletes the word before the cursor and the spaces after it
// (Ctrl-W).
func (in *input) killWord() {
	before := strings.TrimRight(in.text[:in.cursor], " ")
	i := strings.LastIndex(before, " ") + 1
	in.text, in.cursor = in.text[:i]+in.text[in.cursor:], i
}

// prev shows the previous history line (up).
func (in *input) prev() {
	if in.browsing == 0 {
		return
	}
	if in.browsing == len(in.history) {
		in.draft = in.text
	}
	in.browsing--
	in.set(in.history[in.browsing])
}

// next shows the next history line, or the draft after the newest (down).
func (in *input) next() {
	if in.browsing >= len(in.history) {
		return
	}
	in.browsing++
	if in.browsing == len(in.history) {
		in.set(in.draft)
		return
	}
	in.set(in.history[in.browsing])
}

// take returns the line, records it in the history (unless it repeats the
// newest entry) and empties the input.
func (in *input) take() string {
	s := in.text
	if strings.TrimSpace(s) != "" && (len(in.history) == 0 || in.history[len(in.history)-1] != s) {
		in.history = append(in.history, s)
		if len(in.history) > maxHistory {
			in.history = in.history[len(in.history)-maxHistory:]
		}
	}
	in.browsing, in.draft = len(in.history), ""
	in.set("")
	return s
}

// view renders the input in n cells: the cleaned text scrolled so that the
// cursor shows, and the cursor's column within it.
func (in *input) view(n int) (string, int) {
	before := clean(in.text[:in.cursor], true)
	after := clean(in.text[in.cursor:], true)
	// Keep one cell free for the cursor at the end of the line: drop
	// clusters from the start until the rest fits.
	if excess := width(before) - (n - 1); excess > 0 {
		cut, dropped := 0, 0
		for g := range graphemes(before) {
			if dropped >= excess {
				break
			}
			cut += len(g)
			dropped += width(g)
		}
		before = before[cut:]
	}
	if k := 4 * n; len(after) > k {
		// Mostly off screen: there are rarely more than 4 bytes to a cell.
		for k > 0 && !utf8.RuneStart(after[k]) {
			k--
		}
		after = after[:k]
	}
	return fit(before+after, n), width(before)
}
