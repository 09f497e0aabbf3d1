package message

import (
	"fmt"
	"unicode/utf8"

	"starling/message/messagepb"
)

// Text is the payload of a KindText message. Both strings are UTF-8 and are
// kept byte for byte: no normalisation, invisible and combining characters
// included.
type Text struct {
	Text string
	Nick string
}

// EncodeText returns the canonical payload for t, or ErrBadPayload when it
// breaks the size or UTF-8 rules.
func EncodeText(t Text) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	b, err := marshalOpts.Marshal(&messagepb.Text{Text: t.Text, Nick: t.Nick})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

// DecodeText parses a text payload strictly.
func DecodeText(payload []byte) (Text, error) {
	var pb messagepb.Text
	if err := decodeCanonical(payload, &pb); err != nil {
		// %v, not %w: the inner ErrMalformed or ErrNonCanonical describes
		// the payload, and every error here wraps exactly one sentinel.
		return Text{}, fmt.Errorf("%w: text: %v", ErrBadPayload, err)
	}
	t := Text{Text: pb.Text, Nick: pb.Nick}
	if err := t.check(); err != nil {
		return Text{}, err
	}
	return t, nil
}

func (t Text) check() error {
	switch {
	case t.Text == "":
		return fmt.Errorf("%w: empty text", ErrBadPayload)
	case len(t.Text) > MaxTextSize:
		return fmt.Errorf("%w: text is %d bytes, limit %d", ErrBadPayload, len(t.Text), MaxTextSize)
	case len(t.Nick) > MaxNickSize:
		return fmt.Errorf("%w: nick is %d bytes, limit %d", ErrBadPayload, len(t.Nick), MaxNickSize)
	case !utf8.ValidString(t.Text) || !utf8.ValidString(t.Nick):
		return fmt.Errorf("%w: not UTF-8", ErrBadPayload)
	}
	return nil
}

// Text decodes m's payload as text. It fails for other kinds and for sealed
// payloads (Epoch > 0), which the group layer opens first.
func (m *Message) Text() (Text, error) {
	if m.Body.Kind != KindText {
		return Text{}, fmt.Errorf("%w: %s message has no text", ErrBadPayload, m.Body.Kind)
	}
	return DecodeText(m.Body.Payload)
}
