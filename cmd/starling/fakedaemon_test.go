package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"starling/api"
	"starling/home"
)

// fakeDaemon serves canned API answers for a new home, as its running
// daemon would: answers maps "METHOD /path" to the JSON value to send. So
// a command's words and exit status are tested without a node. It returns
// the home's directory.
func fakeDaemon(t *testing.T, answers map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/id", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.Identity{PeerID: "12D3KooWfake", Fingerprint: "fake", Name: "fake"})
	})
	for route, v := range answers {
		mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(v)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ep := api.Endpoint{Addr: ln.Addr().String(), PID: os.Getpid(), Started: time.Now()}
	if err := api.Publish(home.Dir(dir), ep, "token"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCLI runs the starling command in this process against home and
// returns what it printed and its error.
func runCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--home", dir}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}
