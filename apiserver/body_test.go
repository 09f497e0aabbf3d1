package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"starling/api"
)

// decode runs readJSON on body as a request's.
func decode(t *testing.T, body string, v any) error {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	return readJSON(httptest.NewRecorder(), r, v)
}

// Top-level strings that are not valid Unicode reach the request as sent:
// in string and *string fields, by JSON name or, as encoding/json matches,
// by a name that differs in case; the rest decodes as encoding/json does.
func TestReadJSONKeepsStringsAsSent(t *testing.T) {
	var m api.ModerationRequest
	if err := decode(t, "{\"member\":\"fp\",\"reason\":\"a\xffb \\ud800\"}", &m); err != nil {
		t.Fatal(err)
	}
	if m.Reason != "a\xffb \xed\xa0\x80" || m.Member != "fp" {
		t.Errorf("decoded %+v", m)
	}
	var u api.UpdateRequest
	if err := decode(t, "{\"NAME\":\"\\udc00\",\"ends_at\":\"\xfe\",\"slow_mode_seconds\":3}", &u); err != nil {
		t.Fatal(err)
	}
	if u.Name != "\xed\xb0\x80" || u.EndsAt == nil || *u.EndsAt != "\xfe" || u.SlowModeSeconds == nil || *u.SlowModeSeconds != 3 {
		t.Errorf("decoded %+v", u)
	}
	for _, body := range []string{
		"{\"text\":\"a\xff\",\"to\":\"bob\"}", // unknown field
		"{\"text\":\"a\xff\"} {}",             // two values
		"{\"text\":\"a\xff\"",                 // cut short
		"{\"text\":[\"\\ud800\"]}",            // not a string
	} {
		var r api.SendRequest
		if err := decode(t, body, &r); err == nil {
			t.Errorf("%q decoded as %+v", body, r)
		}
	}
}

// unquoteAsSent agrees with encoding/json on every valid string, and
// yields valid UTF-8 exactly when the string is valid Unicode.
func FuzzUnquoteAsSent(f *testing.F) {
	for _, s := range []string{"", "plain", `\ud83d\ude00`, `\ud800`, `\udc00\ud800`, `\ud800\u0041`, "\xff", `\ufffd`, "\xef\xbf\xbd",
		`\"\\\/\b\f\n\r\t`, `\u00e9\u2028`, "\xed\xa0\x80", `\uD83D\uDE00`, `\ud800\ud800\udc00`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, inner string) {
		lit := []byte(`"` + inner + `"`)
		var want string
		if json.Unmarshal(lit, &want) != nil {
			return // not a JSON string
		}
		got := unquoteAsSent(lit)
		valid := validUnicode(lit)
		if utf8.ValidString(got) != valid {
			t.Fatalf("unquoteAsSent(%q) = %q: valid UTF-8 %v, but validUnicode says %v", lit, got, utf8.ValidString(got), valid)
		}
		if valid && got != want {
			t.Fatalf("unquoteAsSent(%q) = %q, encoding/json says %q", lit, got, want)
		}
		// Bytes that are not UTF-8 are all it keeps that encoding/json
		// does not: it puts U+FFFD in place of each, as a conversion to
		// runes does.
		if !strings.Contains(inner, `\u`) && string([]rune(got)) != want {
			t.Fatalf("unquoteAsSent(%q) = %q; with U+FFFD for each bad byte that is not encoding/json's %q", lit, got, want)
		}
	})
}
