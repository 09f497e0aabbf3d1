package media

import (
	"fmt"

	"starling/media/mediapb"
	"starling/message"
)

// ChunkCount is how many chunks carry an image of size bytes.
func ChunkCount(size int) int {
	if size <= 0 {
		return 0
	}
	return (size + ChunkSize - 1) / ChunkSize
}

// ChunkLen is the length of chunk i of an image of size bytes: ChunkSize
// for all but the last, which holds the rest.
func ChunkLen(size, i int) int {
	if i < 0 || i >= ChunkCount(size) {
		return 0
	}
	return min(ChunkSize, size-i*ChunkSize)
}

// Split cuts data into its chunks (slices of data, not copies).
func Split(data []byte) [][]byte {
	out := make([][]byte, 0, ChunkCount(len(data)))
	for i := 0; i < len(data); i += ChunkSize {
		out = append(out, data[i:min(i+ChunkSize, len(data))])
	}
	return out
}

// EncodeChunk returns the canonical payload of a chunk holding data.
func EncodeChunk(data []byte) ([]byte, error) {
	if len(data) < 1 || len(data) > ChunkSize {
		return nil, fmt.Errorf("%w: chunk of %d bytes, want 1 to %d", ErrBadPayload, len(data), ChunkSize)
	}
	b, err := marshalOpts.Marshal(&mediapb.Chunk{Data: data})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

// DecodeChunk parses a chunk payload strictly and returns its data (a
// slice of payload). Errors wrap ErrBadPayload.
func DecodeChunk(payload []byte) ([]byte, error) {
	var pb mediapb.Chunk
	if err := message.DecodeCanonical(payload, &pb); err != nil {
		return nil, fmt.Errorf("%w: chunk: %v", ErrBadPayload, err)
	}
	if len(pb.Data) < 1 || len(pb.Data) > ChunkSize {
		return nil, fmt.Errorf("%w: chunk of %d bytes, want 1 to %d", ErrBadPayload, len(pb.Data), ChunkSize)
	}
	return pb.Data, nil
}
