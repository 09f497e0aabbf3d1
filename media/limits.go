package media

import (
	"crypto/sha256"
	"encoding/hex"

	"starling/message"
)

// Limits of the wire format: what every node accepts in a manifest and its
// chunks, whatever its own Config.
const (
	// ChunkSize is the size of every chunk but the last, which holds the
	// rest. With a chunk's payload framing, the seal (48 bytes) and a
	// signed body with every field at its largest, a chunk's envelope stays
	// about 3.7 KiB under message.MaxEnvelopeSize (TestChunkFitsEnvelope).
	ChunkSize = message.MaxEnvelopeSize - 4<<10
	// MaxImageSize caps the encoded image a manifest may name: 2.5 times
	// the default budget, so nodes with a larger Config.MaxBytes still
	// interoperate.
	MaxImageSize = 256 << 10
	// MaxChunks is how many chunks an image of MaxImageSize needs.
	MaxChunks = (MaxImageSize + ChunkSize - 1) / ChunkSize
	// MaxSide caps an image's width and height.
	MaxSide = 4096
	// MaxPreviewSize caps the preview JPEG in a manifest.
	MaxPreviewSize = 2 << 10
	// PreviewSide caps the preview's width and height.
	PreviewSide = 96
	// MaxCaptionSize caps a caption's UTF-8 bytes (a text's limit).
	MaxCaptionSize = message.MaxTextSize
	// minSide is the smallest side a Config may ask for.
	minSide = 64
)

// Digest is the SHA-256 of an encoded image: its content address.
type Digest [32]byte

// DigestOf returns the content address of data.
func DigestOf(data []byte) Digest { return sha256.Sum256(data) }

// String returns the digest in lower-case hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Short returns the first 8 hex digits, for logs and people.
func (d Digest) Short() string { return hex.EncodeToString(d[:4]) }

// Format is an encoded image's format.
type Format uint8

// The formats. Prepare reads JPEG, PNG and WebP and writes JPEG or PNG,
// which every browser shows.
const (
	FormatJPEG Format = 1
	FormatPNG  Format = 2
	FormatWebP Format = 3
)

func (f Format) String() string {
	switch f {
	case FormatJPEG:
		return "jpeg"
	case FormatPNG:
		return "png"
	case FormatWebP:
		return "webp"
	}
	return "unknown"
}

// MIMEType is the media type to serve f with.
func (f Format) MIMEType() string {
	switch f {
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG:
		return "image/png"
	case FormatWebP:
		return "image/webp"
	}
	return "application/octet-stream"
}

// Ext is the file extension to save f with, dot included.
func (f Format) Ext() string {
	switch f {
	case FormatJPEG:
		return ".jpg"
	case FormatPNG:
		return ".png"
	case FormatWebP:
		return ".webp"
	}
	return ""
}
