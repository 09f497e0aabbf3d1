package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Issue 18: sync was missing from the README's table of subcommands, and
// the table did not say that a relay's home needs init first. Every
// command the binary has gets a row there.
func TestReadmeListsEverySubcommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	rows := regexp.MustCompile("(?m)^\\| `[^|]*").FindAllString(readme, -1)
	for _, c := range newRoot().Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		named := regexp.MustCompile("`" + regexp.QuoteMeta(c.Name()) + "\\b")
		found := false
		for _, r := range rows {
			if named.MatchString(r) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the README's table has no row for %q", c.Name())
		}
	}
	relay := regexp.MustCompile("(?m)^\\| `relay \\[.*$").FindString(readme)
	if !strings.Contains(relay, "starling init --name NAME") {
		t.Errorf("the README's relay row does not say its home needs `starling init` first:\n%s", relay)
	}
}
