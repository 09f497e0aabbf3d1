package api

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"starling/message"
)

// CheckText says, in words for the person who wrote it, what to change in
// a text that no node would send: an empty text, one that is not valid
// UTF-8, one over message.MaxTextSize bytes, or one of only white space
// (spaces, tabs, line ends: it would show as an empty line). Every way a text comes in
// (`starling send`, both chats, the API client and the API server) checks
// it here, so a text is refused the same way wherever it comes from. The
// error matches message.ErrBadPayload.
func CheckText(text string) error {
	switch {
	case text == "":
		return textError("the text is empty; write something (an empty text is not sent)")
	case strings.TrimSpace(text) == "":
		return textError("the text is only white space; write something (a blank text is not sent)")
	case !utf8.ValidString(text):
		return textError("the text is not valid UTF-8; check your terminal's or script's encoding")
	case len(text) > message.MaxTextSize:
		return textError(fmt.Sprintf("the text is %d bytes, over the limit of %d; shorten it or split it into several messages", len(text), message.MaxTextSize))
	}
	return nil
}

// textError is a broken text rule. Its words are all for the person (no
// "bad message payload:" before them), and it matches
// message.ErrBadPayload, so the API answers it with 400.
type textError string

func (e textError) Error() string { return string(e) }

func (e textError) Is(target error) bool { return target == message.ErrBadPayload }
