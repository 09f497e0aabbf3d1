package group

import (
	"bytes"
	"fmt"
	"time"

	"starling/identity"
	"starling/media"
	"starling/message"
)

// Image is a picture's manifest (media.Manifest): what the picture is and
// the IDs of the chunk messages that carry it. Ref (the envelope's ref)
// names the message it replies to, or is zero.
type Image struct {
	media.Manifest
	Ref message.ID
}

// ImageChunk is a piece of a picture. It names nothing: the manifest that
// lists its message ID is what ties it to a picture.
type ImageChunk struct {
	Data []byte
}

// MessageKind implements Content.
func (Image) MessageKind() message.Kind { return message.KindImage }

// MessageKind implements Content.
func (ImageChunk) MessageKind() message.Kind { return message.KindImageChunk }

// ChunkOfManifest reports whether chunk is a picture chunk with its
// manifest's author, group, sent_at, epoch and expiry, as ComposeImage
// makes them. A chunk the manifest lists that is not is its author's fault:
// the picture is broken.
func ChunkOfManifest(manifest, chunk *message.Message) bool {
	b, mb := &chunk.Body, &manifest.Body
	return b.Kind == message.KindImageChunk && b.Group == mb.Group && bytes.Equal(b.Author, mb.Author) &&
		b.SentAtMS == mb.SentAtMS && b.Epoch == mb.Epoch && b.ExpiresMS == mb.ExpiresMS
}

// ComposeImage writes and signs a picture by u: its chunk messages, then
// the manifest that lists their IDs, in that order (store and send them
// so). They share the manifest's author, group, sent_at, epoch and expiry,
// so a node that cannot open them (a carrier) still ties them to it. It
// refuses what Compose refuses for a text (roles, standing, keys, an ended
// group).
func (s *State) ComposeImage(u *identity.User, im *media.Image, caption string, ref message.ID, now time.Time) (chunks []*message.Message, manifest *message.Message, err error) {
	if u == nil {
		return nil, nil, fmt.Errorf("compose image: %w", errNoUser)
	}
	var (
		epoch uint64
		key   []byte
	)
	if s.kind == KindPrivate {
		if s.carrier != nil {
			return nil, nil, fmt.Errorf("compose image: %w", ErrUnreadable)
		}
		var ok, learning bool
		s.readView(func(v *view) {
			epoch, key, ok = s.sendKeyIn(v)
			learning = s.linkEpoch > s.knownEpochLocked()
		})
		if learning {
			return nil, nil, fmt.Errorf("compose image: %w: this node is still learning the group's current state from its members", ErrStale)
		}
		if !ok {
			return nil, nil, fmt.Errorf("compose image: %w", s.noKeyReason(u.PublicKey()))
		}
	}
	sentAt := now
	var ids []message.ID
	for _, data := range im.Chunks() {
		m, err := composeWith(u, s.id, ImageChunk{Data: data}, message.ID{}, epoch, key, sentAt)
		if err != nil {
			return nil, nil, fmt.Errorf("compose image chunk: %w", err)
		}
		chunks = append(chunks, m)
		ids = append(ids, m.ID)
	}
	c := Image{Manifest: media.NewManifest(im, ids, caption, u.Name), Ref: ref}
	manifest, err = composeWith(u, s.id, c, ref, epoch, key, sentAt)
	if err != nil {
		return nil, nil, fmt.Errorf("compose image: %w", err)
	}
	if err := s.selfCheck(manifest, now); err != nil {
		return nil, nil, fmt.Errorf("compose image: %w", err)
	}
	return chunks, manifest, nil
}
