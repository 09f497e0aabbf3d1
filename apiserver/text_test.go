package apiserver_test

import (
	"net/http"
	"strings"
	"testing"

	"starling/api"
	"starling/message"
)

// The API refuses a text exactly as `starling send` does: the same check
// (api.CheckText) on the same bytes, with the same words. encoding/json
// alone would have put U+FFFD in place of bytes that are not UTF-8 and of
// lone surrogates, and the node would have signed a text nobody wrote.
func TestSendChecksTextAsTheCLIDoes(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &g)

	for _, c := range []struct {
		name    string
		literal string // the JSON string as the request carries it
		text    string // the bytes a CLI user would have passed
	}{
		{"a byte that is not UTF-8", "\"bad \xff byte\"", "bad \xff byte"},
		{"a cut sequence", "\"caf\xc3\"", "caf\xc3"},
		{"an overlong encoding", "\"\xc0\xaf\"", "\xc0\xaf"},
		{"an encoded surrogate", "\"\xed\xa0\x80\"", "\xed\xa0\x80"},
		{"a lone high surrogate", `"a\ud800b"`, "a\xed\xa0\x80b"},
		{"a lone low surrogate", `"\udc00"`, "\xed\xb0\x80"},
		{"a pair the wrong way round", `"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd"},
		{"a high surrogate before a letter", `"\ud83d\u0041"`, "\xed\xa0\xbdA"},
		{"empty", `""`, ""},
		{"too long", `"` + strings.Repeat("é", message.MaxTextSize/2+1) + `"`, strings.Repeat("é", message.MaxTextSize/2+1)},
	} {
		want := api.CheckText(c.text)
		if want == nil {
			t.Fatalf("%s: CheckText(%q) passes, so this case tests nothing", c.name, c.text)
		}
		s.requireError(t, http.StatusBadRequest, want.Error(), "POST", "/v1/groups/lobby/messages", `{"text":`+c.literal+`}`)
	}
	if n, err := b.Count(mustGroupID(t, g.ID)); err != nil || n != 0 {
		t.Fatalf("the backend holds %d messages, %v; want none", n, err)
	}

	// What is valid goes out byte for byte, escaped or not; U+FFFD that a
	// person wrote included.
	for _, c := range []struct{ literal, text string }{
		{`"\ud83d\ude00 caf\u00e9"`, "😀 café"},
		{`"\ufffd"`, "\ufffd"},
		{"\"\xef\xbf\xbd\"", "\ufffd"},
		{`"tab\tquote\" slash\/ back\\ \u2028"`, "tab\tquote\" slash/ back\\ \u2028"},
		{`"\uD83D\uDE00"`, "😀"},
	} {
		var r api.SendResponse
		s.get(t, "POST", "/v1/groups/lobby/messages", `{"text":`+c.literal+`}`, &r)
		if r.Message.Text != c.text {
			t.Errorf("sent %s as %q, want %q", c.literal, r.Message.Text, c.text)
		}
	}
}

// A string that is not valid Unicode anywhere but in a top-level string
// field is refused outright: nothing behind the API could tell it from
// U+FFFD.
func TestRequestStringsNotUnicode(t *testing.T) {
	s := startServer(t, newFakeBackend(t))
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, new(api.Group))
	s.requireError(t, http.StatusBadRequest, `"add_admins" holds text that is not valid UTF-8`,
		"PATCH", "/v1/groups/lobby", "{\"add_admins\":[\"\xff\"]}")
	s.requireError(t, http.StatusBadRequest, `"relays" holds text that is not valid UTF-8`,
		"POST", "/v1/groups/lobby/invite", `{"relays":["\udfff"]}`)
}
