package simhost

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScriptRoundTrip(t *testing.T) {
	in := []Send{
		{At: 1500 * time.Millisecond, Group: "lobby", Msg: 3, Text: "sim message 3 xx"},
		{At: 90 * time.Second, Group: "lobby", Msg: 0, Text: "é \u200b"},
	}
	var buf bytes.Buffer
	if err := WriteScript(&buf, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"at":"1.5s"`) || !strings.Contains(buf.String(), `"at":"1m30s"`) {
		t.Errorf("times are not written as durations:\n%s", buf.String())
	}
	// Lines come back in time order whatever order they were written in.
	lines := strings.SplitAfter(buf.String(), "\n")
	out, err := ReadScript(strings.NewReader(lines[1] + lines[0]))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestReadScriptErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not JSON", "send hi\n", "script line 1"},
		{"unknown field", `{"at":"1s","group":"g","msg":1,"text":"t","size":4}` + "\n", `unknown field "size"`},
		{"bad time", `{"at":"soon","group":"g","msg":1,"text":"t"}` + "\n", `at "soon"`},
		{"negative time", `{"at":"-1s","group":"g","msg":1,"text":"t"}` + "\n", "before the start"},
		{"no group", `{"at":"1s","msg":1,"text":"t"}` + "\n", "no group"},
		{"no msg", `{"at":"1s","group":"g","text":"t"}` + "\n", "no msg"},
		{"negative msg", `{"at":"1s","group":"g","msg":-1,"text":"t"}` + "\n", "no msg"},
		{"no text", `{"at":"1s","group":"g","msg":1}` + "\n", "no text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadScript(strings.NewReader(tc.in))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrFormat saying %q", err, tc.want)
			}
		})
	}
}
