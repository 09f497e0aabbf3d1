package media

import (
	"bytes"
	"encoding/binary"
)

// Orientations, as EXIF tag 0x0112 numbers them: how the stored pixels
// must be turned to be seen upright.
const (
	orientNormal      = 1
	orientFlipH       = 2
	orientRotate180   = 3
	orientFlipV       = 4
	orientTranspose   = 5
	orientRotate90CW  = 6
	orientTransverse  = 7
	orientRotate270CW = 8
)

const (
	exifHeader     = "Exif\x00\x00"
	tagOrientation = 0x0112
	tiffShort      = 3
)

// exifOrientation returns the Orientation of a TIFF-structured EXIF block
// (the bytes after "Exif\0\0"), or orientNormal when there is none or the
// block is malformed: a wrong orientation shows a picture sideways, which
// the sender sees before sending, so it is no reason to refuse one.
func exifOrientation(b []byte) int {
	if len(b) < 8 {
		return orientNormal
	}
	var bo binary.ByteOrder
	switch {
	case bytes.HasPrefix(b, []byte("II")):
		bo = binary.LittleEndian
	case bytes.HasPrefix(b, []byte("MM")):
		bo = binary.BigEndian
	default:
		return orientNormal
	}
	if bo.Uint16(b[2:]) != 42 {
		return orientNormal
	}
	off := uint64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > uint64(len(b)) {
		return orientNormal
	}
	n := uint64(bo.Uint16(b[off:]))
	for i := uint64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > uint64(len(b)) {
			break
		}
		if bo.Uint16(b[e:]) != tagOrientation {
			continue
		}
		if bo.Uint16(b[e+2:]) != tiffShort || bo.Uint32(b[e+4:]) != 1 {
			return orientNormal
		}
		if v := int(bo.Uint16(b[e+8:])); v >= orientNormal && v <= orientRotate270CW {
			return v
		}
		return orientNormal
	}
	return orientNormal
}

// swapsSides reports whether an orientation turns the picture by a
// quarter, so its upright width is its stored height.
func swapsSides(o int) bool { return o >= orientTranspose && o <= orientRotate270CW }
