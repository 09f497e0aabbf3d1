//go:build !js

package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// assets is where scripts/build-phone-wasm writes what the page embeds.
const assets = "../../phone/assets"

// TestCommittedWasm rebuilds the engine with scripts/build-phone-wasm and
// checks that the committed starling.wasm and wasm_exec.js are exactly what
// their source gives, as CI checks the generated protobuf code. The bytes
// depend on the Go release, which starling.wasm.go-version records: under
// another release the test says so and skips.
func TestCommittedWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly engine (seconds); skipped with -short")
	}
	built, err := os.ReadFile(filepath.Join(assets, "starling.wasm.go-version"))
	if err != nil {
		t.Fatalf("no committed engine: %v (run scripts/build-phone-wasm)", err)
	}
	if want := strings.TrimSpace(string(built)); want != runtime.Version() {
		t.Skipf("the committed starling.wasm was built by %s and this is %s, whose bytes differ: run scripts/build-phone-wasm with %s to check it", want, runtime.Version(), want)
	}
	dir := t.TempDir()
	cmd := exec.Command("../../scripts/build-phone-wasm", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-phone-wasm: %v\n%s", err, out)
	}
	for _, name := range []string{"starling.wasm", "wasm_exec.js", "starling.wasm.go-version"} {
		fresh, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(assets, name))
		if err != nil {
			t.Fatalf("%s is not committed: %v (run scripts/build-phone-wasm)", name, err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("phone/assets/%s (%d bytes) is not what its source builds (%d bytes): run scripts/build-phone-wasm and commit it", name, len(committed), len(fresh))
		}
	}
}

// TestWasmUnderNode runs the committed engine under Node.js with the
// committed wasm_exec.js, as the page loads it, and calls the API: an
// identity, a channel, a post and its record, errors for bad arguments and
// links, a genuine envelope signed by Go and a forged copy, restore, and a
// catch-up session fed garbage.
func TestWasmUnderNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the WebAssembly engine is not run here")
	}
	wasm, err := filepath.Abs(filepath.Join(assets, "starling.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("no committed engine: %v (run scripts/build-phone-wasm)", err)
	}
	u, err := identity.NewUser("gopher")
	if err != nil {
		t.Fatal(err)
	}
	lobby, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := group.EncodePayload(group.Text{Text: "hello from Go", Nick: "gopher"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(u.PrivateKey(), message.Body{Version: message.Version, Group: lobby, Author: u.PublicKey(),
		SentAtMS: message.TimeMS(time.Now()), Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(m.Raw)
	forged[len(forged)-1] ^= 1

	script := filepath.Join(t.TempDir(), "smoke.js")
	if err := os.WriteFile(script, []byte(smokeJS), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, wasm, filepath.Join(filepath.Dir(wasm), "wasm_exec.js"), hex.EncodeToString(m.Raw), hex.EncodeToString(forged))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		errors.As(err, &ee)
		t.Fatalf("node: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v\nstderr: %s", out, err, stderr.String())
	}
	want := map[string]any{
		"version":          "1",
		"fingerprintLen":   float64(32),
		"seedIsBytes":      true,
		"badNameCode":      "bad-argument",
		"badLinkCode":      "bad-invite",
		"channelKind":      "channel",
		"topicOK":          true,
		"postText":         "hi from node",
		"postRawIsBytes":   true,
		"ownAgain":         "ignore",
		"goVerdict":        "accept",
		"goText":           "hello from Go",
		"goName":           "gopher",
		"forgedVerdict":    "reject",
		"restoredMessages": float64(2),
		"restoredText":     "hi from node",
		"syncOutIsBytes":   true,
		"garbageCode":      "protocol",
		"notJoinedCode":    "not-joined",
		"hasPost":          true,
		"fetchProtocol":    "/starling/fetch/1.0.0",
		"fetchTextCode":    "not-picture",
		"takeChunksCode":   "bad-argument",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if t.Failed() {
		t.Logf("everything node printed: %s\nstderr: %s", out, stderr.String())
	}
}

const smokeJS = `"use strict";
const [wasmPath, execPath, goHex, forgedHex] = process.argv.slice(2);
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto").webcrypto;
require(execPath);
const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
(async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), go.importObject);
  go.run(instance);
  const s = globalThis.starling;
  const r = {};
  r.version = s.version;
  const id = s.createIdentity("pat");
  r.fingerprintLen = id.me.fingerprint.length;
  r.seedIsBytes = id.identity.seed instanceof Uint8Array && id.identity.seed.length === 32;
  r.badNameCode = s.createIdentity(5).code;
  r.badLinkCode = s.parseInvite("starling://join?g=nope").code;
  const j = s.joinChannel("lobby");
  r.channelKind = j.group.kind;
  r.topicOK = j.group.topic.startsWith("/starling/1/g/");
  const p = s.post(j.group.id, "hi from node", "");
  r.postText = p.stored[0].view.text;
  r.postRawIsBytes = p.publish[0].raw instanceof Uint8Array;
  r.ownAgain = s.receive(p.publish[0].raw, "gossip", j.group.topic).verdict;
  // The forged copy first: once the genuine message is held, a copy of it
  // is a duplicate (ignored before its signature is checked), as in gossip.
  r.forgedVerdict = s.receive(hex(forgedHex), "gossip", j.group.topic).verdict;
  const g = s.receive(hex(goHex), "gossip", j.group.topic);
  r.goVerdict = g.verdict;
  r.goText = g.stored.length ? g.stored[0].view.text : g.error;
  r.goName = g.stored.length ? g.stored[0].view.name : "";
  const records = [...p.stored, ...g.stored].map((x) => x.record);
  const res = s.restore({ identity: id.identity, groups: [s.groupRecord(j.group.id)], messages: records });
  r.restoredMessages = res.messages;
  r.restoredText = s.view(p.stored[0].record.raw).text;
  r.hasPost = s.has(p.stored[0].record.id);
  const st = s.syncStart(j.group.id);
  r.syncOutIsBytes = st.out instanceof Uint8Array && st.out.length > 0;
  r.garbageCode = s.syncFeed(st.session, Uint8Array.from([5, 1, 2, 3, 4, 5])).code;
  r.notJoinedCode = s.groupInfo("00".repeat(32)).code;
  r.fetchProtocol = s.fetchProtocol;
  r.fetchTextCode = s.fetchStart(p.stored[0].record.id).code;
  r.takeChunksCode = s.takeChunks(p.stored[0].record.id, [5]).code;
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`
