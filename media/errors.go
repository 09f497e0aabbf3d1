package media

import "errors"

// Why an image is refused. Every error this package returns wraps exactly
// one of these, so callers map them with errors.Is (the CLI to a sentence,
// the node to a validation verdict).
var (
	// ErrUnsupported: a format or a variant this package does not take
	// (GIF, HEIC, animation, lossless or arithmetic-coded JPEG...). The
	// message says which, so a person can convert the file.
	ErrUnsupported = errors.New("unsupported image")
	// ErrTooLarge: the file, its declared dimensions or the memory its
	// decoding needs are over a limit. Checked before anything is decoded.
	ErrTooLarge = errors.New("image too large")
	// ErrMalformed: the bytes are not a well-formed image (truncated,
	// corrupt, contradictory headers).
	ErrMalformed = errors.New("malformed image")
	// ErrNoFit: no size and quality on the ladder fits the byte budget.
	ErrNoFit = errors.New("image does not fit the byte budget")
	// ErrNotCanonical: received image bytes are not in the form Prepare
	// writes (metadata, extra segments or chunks, trailing bytes).
	ErrNotCanonical = errors.New("image is not in canonical form")
	// ErrBadPayload: a manifest or chunk payload breaks a field rule.
	ErrBadPayload = errors.New("bad image payload")
	// ErrMismatch: the chunks do not give the image the manifest names
	// (length, digest, format or dimensions).
	ErrMismatch = errors.New("image does not match its manifest")
	// ErrConfig: a Config out of range (the caller's mistake, not the
	// picture's).
	ErrConfig = errors.New("bad media config")
)
