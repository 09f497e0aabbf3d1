package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"starling/api"
)

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printMessage writes one message: a JSON line, or a line for people with
// the local time, the author's name and short fingerprint, and the text as
// it was sent but for control characters (see forTerminal; multi-line texts
// are indented, never reflowed). A deletion or an Op is a line of what its
// author did (see logPrinter), never as if they had posted its reason.
func printMessage(w io.Writer, m api.Message, asJSON bool) error {
	return (&logPrinter{w: w, asJSON: asJSON}).print(m)
}

// logPrinter prints messages one after another and remembers the
// nicknames their texts carry, so that a deletion or an Op (which carries
// none) names its author and target as their texts do.
type logPrinter struct {
	w      io.Writer
	asJSON bool
	names  map[string]string // fingerprint: latest nickname
}

// learn takes the nicknames of msgs before they are printed, so that a ban
// names someone whose texts come after it.
func (p *logPrinter) learn(msgs []api.Message) {
	for _, m := range msgs {
		p.remember(m)
	}
}

func (p *logPrinter) remember(m api.Message) {
	if m.Kind != "text" || m.Name == "" {
		return
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	p.names[m.Author] = m.Name
}

// who names a fingerprint: the nickname its texts carry and the short
// fingerprint, or the short fingerprint alone.
func (p *logPrinter) who(fp string) string {
	short := fp
	if len(short) > 8 {
		short = short[:8]
	}
	if name := p.names[fp]; name != "" {
		return forTerminal(name, true) + " (" + short + ")"
	}
	return short
}

func (p *logPrinter) print(m api.Message) error {
	if p.asJSON {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	p.remember(m)
	at := m.SentAt.Local().Format(time.DateTime)
	late := ""
	if m.Late {
		late = "  [arrived late]"
	}
	if did, ok := api.Describe(m, p.who); ok {
		_, err := fmt.Fprintf(p.w, "%s  * %s %s%s\n", at, p.who(m.Author), forTerminal(did, true), late)
		return err
	}
	author := m.Author
	if len(author) > 8 {
		author = author[:8]
	}
	text := strings.ReplaceAll(forTerminal(m.Text, false), "\n", "\n    ")
	if m.Image != nil {
		text = pictureLine(m)
	}
	_, err := fmt.Fprintf(p.w, "%s  %s (%s): %s%s%s\n", at, forTerminal(m.Name, true), author, replyMark(m), text, late)
	if line := reactionsLine(m.Reactions); err == nil && line != "" {
		_, err = fmt.Fprintln(p.w, line)
	}
	return err
}

// forTerminal makes text from peers safe to print: control characters
// (escape sequences that would drive the terminal, a carriage return that
// would overwrite the author, C1 codes) are shown as Go escapes; tabs stay,
// and so do newlines unless oneLine. In a one-line field such as a name,
// bidirectional overrides and isolates are escaped too, since they would
// reorder the fingerprint printed after it. Everything else, invisible and
// combining characters included, is printed as sent; --json prints texts
// exactly.
func forTerminal(s string, oneLine bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case r == '\t' || (r == '\n' && !oneLine):
			b.WriteRune(r)
		case unicode.IsControl(r) || (oneLine && isBidiControl(r)):
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
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
