package apiserver_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"starling/apiserver"
	"starling/media"
	"starling/message"
)

// imageFake is pictures beside the fake backend: Send runs media's real
// Prepare (so its refusals are the real ones); Image serves what the test
// put in held, or the error in errs.
type imageFake struct {
	*fakeBackend
	held map[message.ID][]byte
	errs map[message.ID]error
}

func (b *imageFake) Send(ctx context.Context, ref string, file []byte, caption string, _ message.ID) (*message.Message, *media.Image, int, error) {
	im, err := media.Prepare(file, media.Config{})
	if err != nil {
		return nil, nil, 0, err
	}
	m, n, err := b.fakeBackend.Send(ctx, ref, caption)
	return m, im, n, err
}

func (b *imageFake) Image(id message.ID) ([]byte, media.Manifest, error) {
	if err := b.errs[id]; err != nil {
		return nil, media.Manifest{}, err
	}
	data, ok := b.held[id]
	if !ok {
		return nil, media.Manifest{}, media.ErrNotPicture
	}
	return data, media.Manifest{Format: media.FormatPNG, Digest: media.DigestOf(data)}, nil
}

func (b *imageFake) Progress(message.ID) (int, int, bool, error) { return 0, 0, false, nil }

func (b *imageFake) FetchNow(context.Context, message.ID) error { return nil }

func (b *imageFake) Resolve(ref string) (message.ID, error) {
	id, err := message.ParseID(ref)
	if err != nil {
		return id, fmt.Errorf("%w: %v", media.ErrNotPicture, err)
	}
	return id, nil
}

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 80, 60))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A picture is served so that a browser shows it and runs nothing: the
// manifest's type, nosniff, a sandboxing CSP, an inline file name. The
// errors are statuses a client can act on.
func TestImageEndpoints(t *testing.T) {
	b := &imageFake{fakeBackend: newFakeBackend(t), held: map[message.ID][]byte{}, errs: map[message.ID]error{}}
	if _, err := b.Join(context.Background(), "lobby"); err != nil {
		t.Fatal(err)
	}
	good, broken, missing := message.ID{1}, message.ID{2}, message.ID{3}
	b.held[good] = tinyPNG(t)
	b.errs[broken] = media.ErrBroken
	b.errs[missing] = media.ErrNotHeld
	s := startServer(t, b.fakeBackend, func(c *apiserver.Config) { c.Pictures = b })

	req, err := http.NewRequest("GET", s.url+"/v1/images/"+good.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "inline; filename=\"starling-") {
		t.Errorf("GET a picture: %d %v", resp.StatusCode, h)
	}
	s.requireError(t, http.StatusGone, "picture is damaged", "GET", "/v1/images/"+broken.String(), "")
	s.requireError(t, http.StatusNotFound, "not held here yet", "GET", "/v1/images/"+missing.String(), "")
	s.requireError(t, http.StatusNotFound, "not a picture", "GET", "/v1/images/"+message.ID{9}.String(), "")
	s.requireError(t, http.StatusNotFound, "not a picture", "GET", "/v1/images/nothex", "")

	upload := func(body []byte) func(*http.Request) {
		return func(r *http.Request) {
			r.Body = http.NoBody
			if body != nil {
				r.Body, r.ContentLength = ioNop(body), int64(len(body))
			}
			r.Header.Set("Content-Type", "application/octet-stream")
		}
	}
	s.requireError(t, http.StatusRequestEntityTooLarge, "image too large", "POST", "/v1/groups/lobby/images", "", upload(bombPNG(t)))
	s.requireError(t, http.StatusUnsupportedMediaType, "GIF", "POST", "/v1/groups/lobby/images", "", upload([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")))
	s.requireError(t, http.StatusBadRequest, "no picture", "POST", "/v1/groups/lobby/images", "", upload(nil))

	// A backend that cannot handle pictures says so.
	plain := startServer(t, newFakeBackend(t))
	plain.requireError(t, http.StatusNotImplemented, "does not handle pictures", "GET", "/v1/images/"+good.String(), "")
}

func bombPNG(t *testing.T) []byte {
	t.Helper()
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 100_000), 100_000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1})...)
	return append(out, chunk("IEND", nil)...)
}

func ioNop(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
