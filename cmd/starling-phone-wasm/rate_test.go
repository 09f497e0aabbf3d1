//go:build !js

package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/phone/engine"
)

// receiveLoad is n signed texts in channel lobby by 20 authors.
func receiveLoad(t *testing.T, n int) (topic string, raws [][]byte) {
	t.Helper()
	lobby, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	var authors []*identity.User
	for i := range 20 {
		u, err := identity.NewUser(fmt.Sprintf("author%d", i))
		if err != nil {
			t.Fatal(err)
		}
		authors = append(authors, u)
	}
	now := time.Now()
	for i := range n {
		u := authors[i%len(authors)]
		payload, err := group.EncodePayload(group.Text{Text: fmt.Sprintf("message %d, about as long as a chat line usually is", i), Nick: u.Name})
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.Sign(u.PrivateKey(), message.Body{Version: message.Version, Group: lobby, Author: u.PublicKey(),
			SentAtMS: message.TimeMS(now.Add(-time.Duration(n-i) * time.Millisecond)), Kind: message.KindText, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, m.Raw)
	}
	return group.Topic(lobby), raws
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestWasmReceiveRate measures how many gossiped texts per second (of CPU
// time, so that a busy machine does not skew it) the
// engine verifies, judges and hands back as records in WebAssembly under
// Node.js (V8, as in Chromium), beside the same engine natively, and
// checks that every one was accepted.
func TestWasmReceiveRate(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement; skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	const n = 2000
	topic, raws := receiveLoad(t, n)

	e := engine.New(nil)
	if _, _, err := e.CreateIdentity("pat"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.JoinChannel("lobby"); err != nil {
		t.Fatal(err)
	}
	start := cpuTime()
	for _, raw := range raws {
		if r := e.Receive(raw, topic); r.Verdict != "accept" {
			t.Fatalf("native: %+v", r)
		}
	}
	native := float64(n) / (cpuTime() - start).Seconds()

	dir := t.TempDir()
	var blob []byte
	for _, raw := range raws {
		blob = binary.AppendUvarint(blob, uint64(len(raw)))
		blob = append(blob, raw...)
	}
	load := filepath.Join(dir, "load.bin")
	if err := os.WriteFile(load, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "rate.js")
	if err := os.WriteFile(script, []byte(rateJS), 0o600); err != nil {
		t.Fatal(err)
	}
	wasm, _ := filepath.Abs(filepath.Join(assets, "starling.wasm"))
	if w := os.Getenv("STARLING_RATE_WASM"); w != "" {
		wasm = w // to compare builds
	}
	out, err := exec.Command(node, script, wasm, filepath.Join(filepath.Dir(wasm), "wasm_exec.js"), load, topic).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		Accepted, Total   int
		Ms, DupMs, ViewMs float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if got.Accepted != n || got.Total != n {
		t.Fatalf("the engine under Node accepted %d of %d", got.Accepted, got.Total)
	}
	t.Logf("texts received (verified, judged, records made) per CPU second: %.0f in WebAssembly under Node %s, %.0f natively (%d texts, 20 authors); "+
		"a duplicate's receive %.0f µs, a view %.0f µs in WebAssembly",
		float64(n)/(got.Ms/1000), nodeVersion(node), native, n, got.DupMs*1000/n, got.ViewMs*1000/n)
}

func nodeVersion(node string) string {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return "?"
	}
	return string(out[:len(out)-1])
}

const rateJS = `"use strict";
const [wasmPath, execPath, loadPath, topic] = process.argv.slice(2);
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto").webcrypto;
require(execPath);
(async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), go.importObject);
  go.run(instance);
  const s = globalThis.starling;
  s.createIdentity("pat");
  s.joinChannel("lobby");
  const blob = fs.readFileSync(loadPath);
  const raws = [];
  for (let i = 0; i < blob.length;) {
    let len = 0, shift = 0, b;
    do { b = blob[i++]; len += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    raws.push(new Uint8Array(blob.subarray(i, i + len)));
    i += len;
  }
  // CPU time, not wall time: the machine may be shared.
  const cpu = (f) => { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
  let accepted = 0;
  const ms = cpu(() => { for (const raw of raws) if (s.receive(raw, "gossip", topic).verdict === "accept") accepted++; });
  const dupMs = cpu(() => { for (const raw of raws) s.receive(raw, "gossip", topic); });
  const viewMs = cpu(() => { for (const raw of raws) s.view(raw); });
  process.stdout.write(JSON.stringify({ Accepted: accepted, Total: raws.length, Ms: ms, DupMs: dupMs, ViewMs: viewMs }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`
