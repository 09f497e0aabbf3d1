package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errBodyTooLarge: a request body over MaxRequestBody.
var errBodyTooLarge = fmt.Errorf("request body is over %d bytes", MaxRequestBody)

// readJSON decodes a bounded request body strictly: one JSON object, no
// unknown fields.
//
// A string in it that is not valid Unicode (bytes that are not UTF-8, or
// an escaped lone surrogate such as \ud800) reaches v as sent, where
// encoding/json would have put U+FFFD in its place: the checks behind the
// API then refuse it as they refuse the same bytes from the CLI (a text
// with api.CheckText), instead of signing a text nobody wrote. Such a
// string is only taken in a top-level string field; anywhere else the body
// is refused.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return fmt.Errorf("bad request body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	if dec.More() {
		return errors.New("bad request body: more than one JSON value")
	}
	if validUnicode(body) {
		return nil
	}
	return keepAsSent(body, v)
}

// failBody answers a request whose body readJSON refused.
func failBody(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	writeError(w, status, err)
}

// validUnicode reports whether every string in a JSON text is valid
// Unicode: the text is UTF-8 and its \u escapes pair every surrogate. (In
// JSON a backslash appears only inside strings.)
func validUnicode(text []byte) bool {
	if !utf8.Valid(text) {
		return false
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		if i+1 < len(text) && text[i+1] == 'u' {
			_, n, ok := escapedRune(text[i:])
			if !ok {
				return false
			}
			i += n - 1
			continue
		}
		i++ // skip the escaped character
	}
	return true
}

// escapedRune decodes the \uXXXX escape at the start of s, with the low
// half that follows a high surrogate, and says how many bytes it read (6,
// or 12 for a pair). For a lone surrogate, ok is false and r is the
// surrogate.
func escapedRune(s []byte) (r rune, n int, ok bool) {
	r = hex4(s)
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if r < 0xdc00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(s[6:])); pair != utf8.RuneError {
			return pair, 12, true
		}
	}
	return r, 6, false
}

// hex4 is the value of the four hex digits after `\u` at the start of s,
// or -1. The body has already decoded as JSON, so they are there.
func hex4(s []byte) rune {
	if len(s) < 6 {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// unquoteAsSent decodes a JSON string literal (quotes included) as
// encoding/json does, except that bytes that are not UTF-8 stay as they
// are and a lone surrogate becomes its three-byte (WTF-8) form, so the
// result is valid UTF-8 exactly when the literal was valid Unicode.
func unquoteAsSent(lit []byte) string {
	lit = lit[1 : len(lit)-1]
	out := make([]byte, 0, len(lit))
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch lit[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, ok := escapedRune(lit[i-1:])
			if ok {
				out = utf8.AppendRune(out, r)
			} else {
				out = append(out, byte(0xe0|r>>12), byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f))
			}
			i += n - 2
		default: // '"', '\\', '/'
			out = append(out, lit[i])
		}
	}
	return string(out)
}

// keepAsSent puts the strings of body's top-level members that are not
// valid Unicode into v's fields as sent (see readJSON). v points to the
// struct that body decoded into.
func keepAsSent(body []byte, v any) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	sv := reflect.ValueOf(v).Elem()
	for name, raw := range members {
		if validUnicode(raw) {
			continue
		}
		f, ok := fieldNamed(sv, name)
		if raw[0] != '"' || !ok {
			return fmt.Errorf("bad request body: %q holds text that is not valid UTF-8", name)
		}
		s := unquoteAsSent(raw)
		switch {
		case f.Kind() == reflect.String:
			f.SetString(s)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf(&s))
		default:
			return fmt.Errorf("bad request body: %q holds text that is not valid UTF-8", name)
		}
	}
	return nil
}

// fieldNamed finds the field of struct sv that encoding/json decodes the
// member name into: the field whose JSON name is name, else one whose name
// matches it ignoring case.
func fieldNamed(sv reflect.Value, name string) (reflect.Value, bool) {
	t := sv.Type()
	fold := -1
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = sf.Name
		}
		if tag == name {
			return sv.Field(i), true
		}
		if fold < 0 && strings.EqualFold(tag, name) {
			fold = i
		}
	}
	if fold < 0 {
		return reflect.Value{}, false
	}
	return sv.Field(fold), true
}
