package api

import (
	"errors"
	"strings"
	"testing"

	"starling/message"
)

// Issue 18: a message of only spaces was sent, and showed as an empty
// line. Blank texts are refused like empty ones; a text with words and
// white space around them is kept byte for byte.
func TestCheckTextRefusesBlank(t *testing.T) {
	for _, text := range []string{" ", "   ", "\t", "\n\n", " \r\n \u00a0 ", "\u3000"} {
		err := CheckText(text)
		if !errors.Is(err, message.ErrBadPayload) || !strings.Contains(err.Error(), "only white space") {
			t.Errorf("CheckText(%q) = %v, want a refusal that says it is only white space", text, err)
		}
	}
	for _, text := range []string{" hi ", "\n.\n", "a"} {
		if err := CheckText(text); err != nil {
			t.Errorf("CheckText(%q) = %v", text, err)
		}
	}
}
