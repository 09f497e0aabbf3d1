package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"starling/internal/testwait"
)

var sentPictureRE = regexp.MustCompile(`^sent picture ([0-9a-f]{64}) \((\d+)×(\d+) JPEG, [0-9.]+ KiB\) to (\d+) peers in lobby`)

// The real binary, two daemons on loopback: alice sends a camera photo
// with EXIF and GPS (send --image), bob's log shows the picture's line with
// the save command, and image save writes exactly the picture alice's node
// prepared (the digest its manifest names), with no metadata left; it
// refuses to overwrite, and a decompression bomb and a GIF get one-line
// errors.
func TestBinaryImage(t *testing.T) {
	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	da, aid := alice.up("--listen", "/ip4/127.0.0.1/tcp/0")
	defer da.stop()
	db, _ := bob.up("--listen", "/ip4/127.0.0.1/tcp/0", "--peer", aid.addr(t, "/ip4/127.0.0.1/tcp/"))
	defer db.stop()
	alice.ok("join", "lobby")
	bob.ok("join", "lobby")
	bob.waitPeers("lobby", aid.PeerID)

	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(photo, cameraPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}
	r := alice.ok("send", "lobby", "--image", photo, "the map")
	m := sentPictureRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("send --image printed %q", r.stdout)
	}
	id := m[1]
	var line logLine
	testwait.UntilNil(t, meetTimeout, "bob's log to show the picture", func() error {
		for _, l := range bob.log("lobby") {
			if l.ID == id {
				line = l
				return nil
			}
		}
		return os.ErrNotExist
	})
	if line.Text != "the map" {
		t.Fatalf("bob's log line %+v", line)
	}
	if out := bob.ok("log", "lobby").stdout; !strings.Contains(out, "[picture "+m[2]+"×"+m[3]+" JPEG") || !strings.Contains(out, "(save: starling image save "+id[:8]+")") {
		t.Errorf("bob's log prints %q", out)
	}
	saved := filepath.Join(dir, "saved.jpg")
	if r := bob.ok("image", "save", id, saved); !strings.Contains(r.stdout, "saved "+saved) {
		t.Errorf("image save printed %q", r.stdout)
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	var full struct {
		Image struct {
			Digest string `json:"digest"`
		} `json:"image"`
	}
	for _, raw := range strings.Split(strings.TrimSpace(bob.ok("log", "lobby", "--json").stdout), "\n") {
		if strings.Contains(raw, id) {
			if err := jsonUnmarshal([]byte(raw), &full); err != nil {
				t.Fatal(err)
			}
		}
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != full.Image.Digest {
		t.Errorf("saved picture's SHA-256 %x, the manifest says %s", sum, full.Image.Digest)
	}
	if bytes.Contains(data, []byte("Exif")) || bytes.Contains(data, []byte("GPS")) {
		t.Error("the saved picture carries EXIF or GPS")
	}
	checkOneLineError(t, bob.run("image", "save", id, saved), 1, "exists; choose another name or add --force")

	bomb := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(bomb, bombPNG(), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOneLineError(t, alice.run("send", "lobby", "--image", bomb), 1, "image too large")
	gif := filepath.Join(dir, "x.gif")
	if err := os.WriteFile(gif, []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOneLineError(t, alice.run("send", "lobby", "--image", gif), 1, "send a JPEG, PNG or WebP")
}

// cameraPhoto is a 2000×1500 JPEG with an EXIF block naming a place.
func cameraPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2000, 1500))
	seed := uint32(9)
	for y := 0; y < 1500; y++ {
		for x := 0; x < 2000; x++ {
			seed = seed*1664525 + 1013904223
			img.Set(x, y, color.RGBA{byte(x / 8), byte(y / 6), byte(seed>>28) + byte(x^y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00"), "GPS 48.8584N 2.2945E"...)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(exif)+2))
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), append(seg, exif...)...), b[2:]...)
}

// bombPNG declares 100,000² pixels in a few dozen bytes.
func bombPNG() []byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32IEEE(b[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 100_000), 100_000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1})...)
	return append(out, chunk("IEND", nil)...)
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
