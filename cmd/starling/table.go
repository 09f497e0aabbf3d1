package main

import (
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// printTable writes rows as columns that line up however long a cell is:
// each column as wide as its widest cell (by the terminal's width of the
// characters, so that a name in another script lines up too), two spaces
// between columns, numbers (right[i]) aligned right. The last column is
// not padded. Cells are printed as they are: callers make them safe for the
// terminal (forTerminal).
func printTable(w io.Writer, indent string, right []bool, rows [][]string) error {
	widths := map[int]int{}
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], ansi.StringWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(indent)
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-ansi.StringWidth(cell))
			switch {
			case i == len(row)-1 && !(i < len(right) && right[i]):
				b.WriteString(cell)
			case i < len(right) && right[i]:
				b.WriteString(pad + cell)
			default:
				b.WriteString(cell + pad)
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
