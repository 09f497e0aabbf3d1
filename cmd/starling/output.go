package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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
// it was sent (multi-line texts are indented, never reflowed).
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
	text := strings.ReplaceAll(m.Text, "\n", "\n    ")
	_, err := fmt.Fprintf(w, "%s  %s (%s): %s\n", m.SentAt.Local().Format(time.DateTime), m.Name, author, text)
	return err
}
