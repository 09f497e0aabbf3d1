package media

import (
	"fmt"
	"image"
)

// previewSides and the qualities below are what makePreview tries: the
// preview is a placeholder the size of a thumbnail, shown blurred until the
// image arrives, so its quality matters little and its bytes travel to
// everyone.
var previewSides = []int{PreviewSide, 80, 64, 48}

const (
	previewMinQuality = 25
	previewMaxQuality = 70
)

// makePreview returns a JPEG of m at most PreviewSide pixels a side and
// limit bytes.
func makePreview(m *image.RGBA, limit int) ([]byte, error) {
	b := m.Bounds()
	long := max(b.Dx(), b.Dy())
	for _, side := range previewSides {
		w, h := b.Dx(), b.Dy()
		if long > side {
			w, h = fit(w, h, side)
		}
		small := flatten(resample(m, w, h))
		var img image.Image = small
		if g, ok := toGray(small); ok {
			img = g
		}
		if data, _, ok := bestJPEG(img, previewMinQuality, previewMaxQuality, limit); ok {
			return data, nil
		}
	}
	return nil, fmt.Errorf("%w: no preview fits %d bytes", ErrNoFit, limit)
}
