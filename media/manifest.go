package media

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"starling/media/mediapb"
	"starling/message"
)

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Manifest is the payload of a picture's manifest message: what the
// picture is and which chunk messages carry it. Its rules need no state;
// the rules that do (the chunks' author, group and epoch are the
// manifest's) are the group layer's, when a chunk arrives.
type Manifest struct {
	Format Format
	Width  int
	Height int
	// Size is the encoded image's length in bytes.
	Size   int
	Digest Digest
	// Chunks are the IDs of the chunk messages, in order: exactly
	// ChunkCount(Size), none twice.
	Chunks []message.ID
	// Preview is a JPEG that passes CheckPreview, or empty.
	Preview []byte
	Caption string
	Nick    string
}

// NewManifest returns the manifest of im carried by the chunk messages
// with the given IDs.
func NewManifest(im *Image, chunks []message.ID, caption, nick string) Manifest {
	return Manifest{
		Format: im.Format, Width: im.Width, Height: im.Height, Size: len(im.Data), Digest: im.Digest,
		Chunks: slices.Clone(chunks), Preview: bytes.Clone(im.Preview), Caption: caption, Nick: nick,
	}
}

// EncodeManifest returns the canonical payload of m, or an error wrapping
// ErrBadPayload when m breaks a rule.
func EncodeManifest(m Manifest) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	pb := &mediapb.Image{
		Format: mediapb.Format(m.Format), Width: uint32(m.Width), Height: uint32(m.Height),
		Size: uint32(m.Size), Digest: m.Digest[:], Preview: m.Preview, Caption: m.Caption, Nick: m.Nick,
	}
	for _, id := range m.Chunks {
		pb.Chunks = append(pb.Chunks, slices.Clone(id[:]))
	}
	b, err := marshalOpts.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

// DecodeManifest parses a manifest payload strictly: the canonical
// encoding, every field rule, and a preview that passes CheckPreview.
// Errors wrap ErrBadPayload.
func DecodeManifest(payload []byte) (Manifest, error) {
	var pb mediapb.Image
	if err := message.DecodeCanonical(payload, &pb); err != nil {
		return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrBadPayload, err)
	}
	if len(pb.Digest) != len(Digest{}) {
		return Manifest{}, fmt.Errorf("%w: digest of %d bytes", ErrBadPayload, len(pb.Digest))
	}
	m := Manifest{
		Format: Format(pb.Format), Width: int(pb.Width), Height: int(pb.Height), Size: int(pb.Size),
		Digest: Digest(pb.Digest), Preview: pb.Preview, Caption: pb.Caption, Nick: pb.Nick,
	}
	if pb.Format != mediapb.Format_FORMAT_JPEG && pb.Format != mediapb.Format_FORMAT_PNG {
		return Manifest{}, fmt.Errorf("%w: format %d", ErrBadPayload, pb.Format)
	}
	for _, id := range pb.Chunks {
		if len(id) != len(message.ID{}) {
			return Manifest{}, fmt.Errorf("%w: chunk ID of %d bytes", ErrBadPayload, len(id))
		}
		m.Chunks = append(m.Chunks, message.ID(id))
	}
	if err := m.check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func (m *Manifest) check() error {
	switch {
	case m.Format != FormatJPEG && m.Format != FormatPNG:
		return fmt.Errorf("%w: format %s", ErrBadPayload, m.Format)
	case m.Width < 1 || m.Width > MaxSide || m.Height < 1 || m.Height > MaxSide:
		return fmt.Errorf("%w: %d×%d pixels, each side 1 to %d", ErrBadPayload, m.Width, m.Height, MaxSide)
	case m.Size < 1 || m.Size > MaxImageSize:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrBadPayload, m.Size, MaxImageSize)
	case len(m.Chunks) != ChunkCount(m.Size):
		return fmt.Errorf("%w: %d chunks for %d bytes, want %d", ErrBadPayload, len(m.Chunks), m.Size, ChunkCount(m.Size))
	case len(m.Caption) > MaxCaptionSize:
		return fmt.Errorf("%w: caption is %d bytes, limit %d", ErrBadPayload, len(m.Caption), MaxCaptionSize)
	case len(m.Nick) > message.MaxNickSize:
		return fmt.Errorf("%w: nick is %d bytes, limit %d", ErrBadPayload, len(m.Nick), message.MaxNickSize)
	case !utf8.ValidString(m.Caption) || !utf8.ValidString(m.Nick):
		return fmt.Errorf("%w: caption or nick is not UTF-8", ErrBadPayload)
	}
	for i, id := range m.Chunks {
		if id.IsZero() {
			return fmt.Errorf("%w: chunk %d is the zero ID", ErrBadPayload, i)
		}
		if slices.Contains(m.Chunks[:i], id) {
			return fmt.Errorf("%w: chunk %s is listed twice", ErrBadPayload, id.Short())
		}
	}
	if len(m.Preview) > 0 {
		if err := CheckPreview(m.Preview); err != nil {
			return fmt.Errorf("%w: preview: %v", ErrBadPayload, err)
		}
	}
	return nil
}

// Index returns the position of the chunk message id in m, or -1.
func (m *Manifest) Index(id message.ID) int { return slices.Index(m.Chunks, id) }

// CheckChunk checks that data, the payload of m's chunk i, has the length
// the chunking rule gives it. Errors wrap ErrMismatch.
func (m *Manifest) CheckChunk(i int, data []byte) error {
	if i < 0 || i >= len(m.Chunks) {
		return fmt.Errorf("%w: chunk %d of %d", ErrMismatch, i, len(m.Chunks))
	}
	if want := ChunkLen(m.Size, i); len(data) != want {
		return fmt.Errorf("%w: chunk %d has %d bytes, want %d", ErrMismatch, i, len(data), want)
	}
	return nil
}

// Assemble joins the chunks' data (in m's order) and checks that they give
// the image m names: lengths, digest, then Check's canonical form with m's
// format and dimensions. Errors wrap ErrMismatch, or Check's sentinel.
func Assemble(m *Manifest, chunks [][]byte) ([]byte, error) {
	if len(chunks) != len(m.Chunks) {
		return nil, fmt.Errorf("%w: %d chunks, want %d", ErrMismatch, len(chunks), len(m.Chunks))
	}
	data := make([]byte, 0, m.Size)
	for i, c := range chunks {
		if err := m.CheckChunk(i, c); err != nil {
			return nil, err
		}
		data = append(data, c...)
	}
	if DigestOf(data) != m.Digest {
		return nil, fmt.Errorf("%w: the chunks' digest is %s, the manifest's %s", ErrMismatch, DigestOf(data).Short(), m.Digest.Short())
	}
	info, err := Check(data)
	if err != nil {
		return nil, err
	}
	if info.Format != m.Format || info.Width != m.Width || info.Height != m.Height {
		return nil, fmt.Errorf("%w: the image is a %d×%d %s, the manifest says %d×%d %s", ErrMismatch,
			info.Width, info.Height, info.Format, m.Width, m.Height, m.Format)
	}
	return data, nil
}
