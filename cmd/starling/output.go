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
// are indented, never reflowed).
func printMessage(w io.Writer, m api.Message, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	author := m.Author
	if len(author) > 8 {
		author = author[:8]
	}
	text := strings.ReplaceAll(forTerminal(m.Text, false), "\n", "\n    ")
	late := ""
	if m.Late {
		late = "  [arrived late]"
	}
	_, err := fmt.Fprintf(w, "%s  %s (%s): %s%s%s\n", m.SentAt.Local().Format(time.DateTime), forTerminal(m.Name, true), author, replyMark(m), text, late)
	if line := reactionsLine(m.Reactions); err == nil && line != "" {
		_, err = fmt.Fprintln(w, line)
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
