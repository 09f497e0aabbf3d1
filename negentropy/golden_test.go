package negentropy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSets derives both sides from SHA-256 of a counter, so the data does
// not depend on any random generator: 1200 items in runs of three equal
// timestamps; item i is only on the client when i%40 == 0, only on the
// server when i%40 == 1 or i%97 == 2.
func goldenSets() (client, server []Item) {
	for i := range 1200 {
		it := Item{Timestamp: 1_700_000_000_000 + uint64(i/3)}
		it.ID = sha256.Sum256(binary.BigEndian.AppendUint64([]byte("starling negentropy golden "), uint64(i)))
		switch {
		case i%40 == 0:
			client = append(client, it)
		case i%40 == 1, i%97 == 2:
			server = append(server, it)
		default:
			client = append(client, it)
			server = append(server, it)
		}
	}
	return client, server
}

// TestGoldenTranscript pins the bytes of whole sessions, without and with a
// frame size limit, so a change to the wire format cannot pass unnoticed,
// and checks that go-nostr puts the same bytes on the wire.
func TestGoldenTranscript(t *testing.T) {
	client, server := goldenSets()
	for _, limit := range []int{0, 4096} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			ses, err := run(newOurClient(t, sealedVector(t, client), limit), newOurServer(t, sealedVector(t, server), limit))
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := run(newNostrClient(nostrVector(t, client), limit), newNostrServer(nostrVector(t, server), limit))
			if err != nil {
				t.Fatal(err)
			}
			compareTranscripts(t, "go-nostr", ses.transcript, theirs.transcript)

			var b strings.Builder
			for i, m := range ses.transcript {
				fmt.Fprintf(&b, "%s %s\n", [2]string{"client", "server"}[i%2], hex.EncodeToString(m))
			}
			fmt.Fprintf(&b, "have %d need %d\n", len(ses.have), len(ses.need))
			path := filepath.Join("testdata", fmt.Sprintf("session-limit%d.golden", limit))
			if *update {
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Fatalf("transcript differs from %s; if the change is intended, run with -update", path)
			}
		})
	}
}
