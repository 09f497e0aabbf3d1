package media

import "fmt"

// Config sets what Prepare does with a picture. Zero fields take the
// defaults documented on them.
type Config struct {
	// MaxBytes is the byte budget of the encoded image. Default
	// DefaultMaxBytes (100 KiB: two chunks).
	MaxBytes int
	// Sides are the longest-side lengths Prepare tries, largest first;
	// it never upscales, so sides above the source's own are replaced by
	// it. Default DefaultSides.
	Sides []int
	// MinQuality is the lowest JPEG quality Prepare accepts at a side
	// before it tries the next, smaller side; a photographed map reads
	// better a little blocky at 1600 pixels than smooth at 1024. Default 40.
	MinQuality int
	// MaxQuality is the highest JPEG quality Prepare writes: above it the
	// bytes buy nothing a person sees. Default 85.
	MaxQuality int
	// FloorQuality is the quality Prepare goes down to at the smallest side
	// before it gives up with ErrNoFit. Default 20.
	FloorQuality int
	// MaxInputBytes caps the file. Default 40 MiB.
	MaxInputBytes int
	// MaxPixels caps the declared width × height, checked before decoding.
	// Default 50 million (a 48-megapixel phone photo passes). Each side is
	// also capped at 65,535 pixels, JPEG's own limit.
	MaxPixels int
	// MaxDecodeBytes caps the memory the decoder of the declared image is
	// estimated to allocate (pixels, a progressive JPEG's coefficients,
	// an interlaced PNG's passes), checked before decoding. Default
	// 256 MiB.
	MaxDecodeBytes int
	// PreviewBytes is the budget of the preview, a small JPEG that travels
	// in the manifest. Default MaxPreviewSize (2 KiB).
	PreviewBytes int
}

// Defaults.
const (
	DefaultMaxBytes       = 100 << 10
	defaultMinQuality     = 40
	defaultMaxQuality     = 85
	defaultFloorQuality   = 20
	defaultMaxInputBytes  = 40 << 20
	defaultMaxPixels      = 50_000_000
	defaultMaxDecodeBytes = 256 << 20
)

// DefaultSides is the ladder of longest sides Prepare tries by default.
var DefaultSides = []int{2048, 1600, 1280, 1024, 800, 640, 480}

func (c Config) withDefaults() Config {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if len(c.Sides) == 0 {
		c.Sides = DefaultSides
	}
	if c.MinQuality == 0 {
		c.MinQuality = defaultMinQuality
	}
	if c.MaxQuality == 0 {
		c.MaxQuality = defaultMaxQuality
	}
	if c.FloorQuality == 0 {
		c.FloorQuality = defaultFloorQuality
	}
	if c.MaxInputBytes == 0 {
		c.MaxInputBytes = defaultMaxInputBytes
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = defaultMaxPixels
	}
	if c.MaxDecodeBytes == 0 {
		c.MaxDecodeBytes = defaultMaxDecodeBytes
	}
	if c.PreviewBytes == 0 {
		c.PreviewBytes = MaxPreviewSize
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.MaxBytes < 4<<10 || c.MaxBytes > MaxImageSize:
		return fmt.Errorf("%w: MaxBytes %d, want 4 KiB to %d", ErrConfig, c.MaxBytes, MaxImageSize)
	case c.FloorQuality < 1 || c.FloorQuality > c.MinQuality || c.MinQuality > c.MaxQuality || c.MaxQuality > 100:
		return fmt.Errorf("%w: want 1 <= FloorQuality (%d) <= MinQuality (%d) <= MaxQuality (%d) <= 100", ErrConfig,
			c.FloorQuality, c.MinQuality, c.MaxQuality)
	case c.MaxInputBytes < 1 || c.MaxPixels < 1 || c.MaxDecodeBytes < 1:
		return fmt.Errorf("%w: input limits must be positive", ErrConfig)
	case c.PreviewBytes < 1024 || c.PreviewBytes > MaxPreviewSize:
		return fmt.Errorf("%w: PreviewBytes %d, want 1 KiB to %d", ErrConfig, c.PreviewBytes, MaxPreviewSize)
	}
	for i, s := range c.Sides {
		if s < minSide || s > MaxSide {
			return fmt.Errorf("%w: side %d, want %d to %d", ErrConfig, s, minSide, MaxSide)
		}
		if i > 0 && s >= c.Sides[i-1] {
			return fmt.Errorf("%w: sides %v are not strictly decreasing", ErrConfig, c.Sides)
		}
	}
	return nil
}
