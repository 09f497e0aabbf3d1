package home

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The names of a home's files are a format: a new release that renamed one
// would strand every existing home's keys, store or endpoint.
func TestLayout(t *testing.T) {
	d := Dir(filepath.Join("/", "var", "lib", "alice"))
	files := map[string]string{
		"user key":      d.UserKey(),
		"transport key": d.TransportKey(),
		"store":         d.Store(),
		"API endpoint":  d.APIEndpoint(),
		"API token":     d.APIToken(),
		"web UI":        d.WebUI(),
		"web opener":    d.WebOpen(),
	}
	want := map[string]string{
		"user key":      "user.key",
		"transport key": "transport.key",
		"store":         "store",
		"API endpoint":  "api.json",
		"API token":     "api.token",
		"web UI":        "web.json",
		"web opener":    "web-open.html",
	}
	seen := map[string]string{}
	for what, path := range files {
		if got := filepath.Dir(path); got != string(d) {
			t.Errorf("the %s is in %s, want directly in the home %s", what, got, d)
		}
		if got := filepath.Base(path); got != want[what] {
			t.Errorf("the %s is named %q, want %q", what, got, want[what])
		}
		if other, ok := seen[path]; ok {
			t.Errorf("the %s and the %s share %s", what, other, path)
		}
		seen[path] = what
	}
}

// Default prefers $STARLING_HOME, then $XDG_DATA_HOME/starling, then
// ~/.local/share/starling; with none of them it says how to choose one.
func TestDefault(t *testing.T) {
	for _, c := range []struct {
		name                    string
		starling, xdg, userHome string
		want                    Dir
		wantErr                 bool
	}{
		{name: "STARLING_HOME wins", starling: "/srv/starling", xdg: "/data", userHome: "/home/a", want: "/srv/starling"},
		{name: "XDG_DATA_HOME next", xdg: "/data", userHome: "/home/a", want: "/data/starling"},
		{name: "then the user's home", userHome: "/home/a", want: "/home/a/.local/share/starling"},
		{name: "nothing to go on", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvVar, c.starling)
			t.Setenv("XDG_DATA_HOME", c.xdg)
			t.Setenv("HOME", c.userHome)
			got, err := Default()
			switch {
			case c.wantErr && err == nil:
				t.Fatalf("Default() = %q, want an error", got)
			case c.wantErr && !strings.Contains(err.Error(), EnvVar):
				t.Errorf("Default() error %q does not say to set %s", err, EnvVar)
			case !c.wantErr && (err != nil || got != c.want):
				t.Errorf("Default() = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	d := Dir(t.TempDir())
	err := d.Check()
	if !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("Check of a home without a user key = %v, want ErrNotInitialised", err)
	}
	if !strings.Contains(err.Error(), string(d)) {
		t.Errorf("Check's error %q does not name the home %s", err, d)
	}
	if err := os.WriteFile(d.UserKey(), []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Errorf("Check of a home with a user key: %v", err)
	}

	// A home that cannot be read is not mistaken for an empty one.
	file := filepath.Join(t.TempDir(), "a file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = Dir(file).Check()
	if err == nil || errors.Is(err, ErrNotInitialised) {
		t.Errorf("Check of a home that is a file = %v, want an error other than ErrNotInitialised", err)
	}
}
