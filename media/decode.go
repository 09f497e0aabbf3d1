package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// maxSourceSide caps each side of a file's image, as JPEG's 16-bit fields
// do: the resampler's weights grow with the longest side, so a 50-megapixel
// PNG of 16 million by 3 pixels must not pass on its pixel count alone.
const maxSourceSide = 1<<16 - 1

// decode checks every limit that can be checked on the bytes and headers
// (file size, declared pixels, the decoder's estimated memory, agreement
// between this package's container scan and the decoder's own header
// reading), and only then decodes.
func decode(data []byte, cfg Config) (image.Image, header, error) {
	if len(data) > cfg.MaxInputBytes {
		return nil, header{}, fmt.Errorf("%w: the file has %d bytes, the limit is %d", ErrTooLarge, len(data), cfg.MaxInputBytes)
	}
	h, err := inspect(data)
	if err != nil {
		return nil, header{}, err
	}
	if h.width > maxSourceSide || h.height > maxSourceSide {
		return nil, header{}, fmt.Errorf("%w: %d×%d pixels, each side at most %d", ErrTooLarge, h.width, h.height, maxSourceSide)
	}
	if px := int64(h.width) * int64(h.height); px > int64(cfg.MaxPixels) {
		return nil, header{}, fmt.Errorf("%w: %d×%d is %.1f megapixels, the limit is %.1f", ErrTooLarge,
			h.width, h.height, float64(px)/1e6, float64(cfg.MaxPixels)/1e6)
	}
	if h.decodeBytes > int64(cfg.MaxDecodeBytes) {
		return nil, header{}, fmt.Errorf("%w: decoding this %d×%d %s needs about %d MiB, the limit is %d MiB", ErrTooLarge,
			h.width, h.height, h.format, h.decodeBytes>>20, cfg.MaxDecodeBytes>>20)
	}
	c, err := decodeConfig(h.format, data)
	if err != nil {
		return nil, header{}, err
	}
	if c.Width != h.width || c.Height != h.height {
		return nil, header{}, fmt.Errorf("%w: %s headers disagree: %d×%d and %d×%d", ErrMalformed, h.format, h.width, h.height, c.Width, c.Height)
	}
	img, err := decodeImage(h.format, data)
	if err != nil {
		return nil, header{}, err
	}
	if b := img.Bounds(); b.Dx() != h.width || b.Dy() != h.height {
		return nil, header{}, fmt.Errorf("%w: %s decoded to %d×%d, its header says %d×%d", ErrMalformed, h.format, b.Dx(), b.Dy(), h.width, h.height)
	}
	return img, h, nil
}

func decodeConfig(f Format, data []byte) (c image.Config, err error) {
	defer recoverDecoder(f, &err)
	r := bytes.NewReader(data)
	switch f {
	case FormatJPEG:
		c, err = jpeg.DecodeConfig(r)
	case FormatPNG:
		c, err = png.DecodeConfig(r)
	case FormatWebP:
		c, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return image.Config{}, decoderError(f, err)
	}
	return c, nil
}

func decodeImage(f Format, data []byte) (img image.Image, err error) {
	defer recoverDecoder(f, &err)
	r := bytes.NewReader(data)
	switch f {
	case FormatJPEG:
		img, err = jpeg.Decode(r)
	case FormatPNG:
		img, err = png.Decode(r)
	case FormatWebP:
		img, err = webp.Decode(r)
	}
	if err != nil {
		return nil, decoderError(f, err)
	}
	return img, nil
}

// recoverDecoder turns a decoder's panic on hostile bytes into an error:
// the standard decoders are fuzzed, x/image/webp less so, and input must
// never take the process down.
func recoverDecoder(f Format, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: the %s decoder failed: %v", ErrMalformed, f, r)
	}
}

// decoderError maps the decoders' errors to this package's sentinels.
func decoderError(f Format, err error) error {
	var (
		jpegUnsupported jpeg.UnsupportedError
		pngUnsupported  png.UnsupportedError
	)
	switch {
	case errors.As(err, &jpegUnsupported), errors.As(err, &pngUnsupported):
		return fmt.Errorf("%w: %s: %v", ErrUnsupported, f, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the %s is cut off", ErrMalformed, f)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, f, err)
}
