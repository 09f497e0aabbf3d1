package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mentions and the @name picker. Both clients complete "@prefix" at the
// end of the input against the nicknames seen in the group; the web UI has
// the same rules in JavaScript (webui/assets/js/mention.js).

// ErrNoName means no nickname starts with the prefix typed after "@".
var ErrNoName = errors.New("no one by that name")

// ErrAmbiguousName means several nicknames start with the prefix.
var ErrAmbiguousName = errors.New("several people by that name")

// Mentions reports whether text mentions name: "@name" in any case, not
// followed by a letter or digit (so "@al" does not mention "alice").
func Mentions(text, name string) bool {
	name = strings.TrimSpace(name)
	if name == "" {
		return false
	}
	lt, ln := strings.ToLower(text), "@"+strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lt[i:], ln)
		if j < 0 {
			return false
		}
		end := i + j + len(ln)
		if r, _ := utf8.DecodeRuneInString(lt[end:]); end == len(lt) || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return true
		}
		i = end
	}
}

// MentionPrefix returns the "@prefix" being typed at the end of input
// (what follows the last "@" that starts a word, up to the end), and
// whether there is one. A prefix that ends in a space is a finished (or
// abandoned) mention: none.
func MentionPrefix(input string) (prefix string, ok bool) {
	at := strings.LastIndex(input, "@")
	if at < 0 {
		return "", false
	}
	if at > 0 {
		if r, _ := utf8.DecodeLastRuneInString(input[:at]); !unicode.IsSpace(r) {
			return "", false // an address such as a@b
		}
	}
	prefix = input[at+1:]
	if strings.ContainsAny(prefix, "\n@") || strings.TrimRightFunc(prefix, unicode.IsSpace) != prefix {
		return "", false
	}
	return prefix, true
}

// MatchNames returns the distinct names (compared without case) that start
// with prefix, without case, sorted. A name equal to prefix is the only
// match, so that "@al" still picks "al" beside "alice".
func MatchNames(names []string, prefix string) []string {
	p := strings.ToLower(prefix)
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		l := strings.ToLower(n)
		if n == "" || seen[l] || !strings.HasPrefix(l, p) {
			continue
		}
		if l == p {
			return []string{n}
		}
		seen[l] = true
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// CompleteMention completes the "@prefix" at the end of input with the one
// name that starts with it, followed by a space. When none does, or
// several do, it returns input unchanged and an error that says so in
// words a person reads (ErrNoName, ErrAmbiguousName, naming the
// candidates).
func CompleteMention(input string, names []string) (string, error) {
	prefix, ok := MentionPrefix(input)
	if !ok {
		return input, fmt.Errorf("%w: type @ and the start of a name", ErrNoName)
	}
	m := MatchNames(names, prefix)
	switch len(m) {
	case 0:
		return input, fmt.Errorf("%w: nobody here is called @%s…", ErrNoName, prefix)
	case 1:
		return input[:len(input)-len(prefix)] + m[0] + " ", nil
	}
	const show = 5
	list := strings.Join(m[:min(len(m), show)], ", ")
	if len(m) > show {
		list += fmt.Sprintf(" and %d more", len(m)-show)
	}
	return input, fmt.Errorf("%w: @%s could be %s; type more of the name", ErrAmbiguousName, prefix, list)
}
