package main

import (
	"strings"
	"testing"
	"time"

	"starling/api"
)

func TestForTerminal(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		oneLine    bool
		want       string
		wantInLine string // the same in a one-line field, when it differs
	}{
		{name: "plain", in: "hello", want: "hello"},
		{name: "invisible and combining stay", in: "zero\u200bwidth cafe\u0301 \U0001F469\u200d\U0001F4BB", want: "zero\u200bwidth cafe\u0301 \U0001F469\u200d\U0001F4BB"},
		{name: "tab stays", in: "a\tb", want: "a\tb"},
		{name: "newline", in: "a\nb", want: "a\nb", wantInLine: `a\x0ab`},
		{name: "escape sequence", in: "\x1b[2J\x1b]0;title\x07", want: `\x1b[2J\x1b]0;title\x07`},
		{name: "carriage return", in: "alice\rmallory", want: `alice\x0dmallory`},
		{name: "delete and C1", in: "a\x7fb\u0085c\u009bd", want: `a\x7fb\u0085c\u009bd`},
		{name: "bidi override", in: "\u202eevil\u202c \u2066iso\u2069", want: "\u202eevil\u202c \u2066iso\u2069", wantInLine: `\u202eevil\u202c \u2066iso\u2069`},
		{name: "invalid UTF-8", in: "bad\xffbyte", want: `bad\xffbyte`},
		{name: "replacement character itself", in: "\ufffd", want: "\ufffd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := forTerminal(tc.in, false); got != tc.want {
				t.Errorf("forTerminal(%q, false) = %q, want %q", tc.in, got, tc.want)
			}
			wantInLine := tc.want
			if tc.wantInLine != "" {
				wantInLine = tc.wantInLine
			}
			if got := forTerminal(tc.in, true); got != wantInLine {
				t.Errorf("forTerminal(%q, true) = %q, want %q", tc.in, got, wantInLine)
			}
		})
	}
}

// A name cannot break out of its place on the line: a newline or a
// carriage return in it would forge the next line or the fingerprint.
func TestPrintMessageName(t *testing.T) {
	var b strings.Builder
	m := api.Message{Name: "bob\r12:00  alice\n", Author: "abcdefghijklmnop", Text: "hi", SentAt: time.Unix(0, 0)}
	if err := printMessage(&b, m, false); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if strings.Count(got, "\n") != 1 || strings.Contains(got, "\r") {
		t.Fatalf("printMessage printed %q", got)
	}
	if !strings.Contains(got, `bob\x0d12:00  alice\x0a (abcdefgh): hi`) {
		t.Errorf("printMessage printed %q", got)
	}
}
