package group

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"starling/identity"
	"starling/message"
)

// The secrets blob is JSON, versioned: what a node needs to rebuild a State
// before it replays the group's stored messages. The secret and epoch keys
// are in it, so the node keeps it like a key file (and deletes it when the
// group expires).
const (
	secretsVersion = 1
	// maxSecretKeys bounds the epoch keys in one blob.
	maxSecretKeys = 1 << 16
)

type secretsFile struct {
	Version int         `json:"version"`
	Group   string      `json:"group"`
	Kind    string      `json:"kind"`
	Channel string      `json:"channel,omitempty"`
	Secret  []byte      `json:"secret,omitempty"`
	Keys    []secretKey `json:"keys,omitempty"`
	// LinkEpoch is the epoch of the invite this node joined with (see
	// State.linkEpoch).
	LinkEpoch uint64 `json:"link_epoch,omitempty"`
	// A carrier's: its topic, owner and the group's control key
	// (carrier.go). A member's Owner is its invite link's (linkOwner).
	Topic   string `json:"topic,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Control []byte `json:"control,omitempty"`
	// EndsAtMS was a carrier's end time before carriers could read it from
	// the group's Ops; it is read and ignored.
	EndsAtMS uint64 `json:"ends_at_ms,omitempty"`
}

type secretKey struct {
	Epoch uint64 `json:"epoch"`
	Key   []byte `json:"key"`
}

// MarshalSecrets returns the blob RestoreSecrets reads: the group ID, kind,
// channel name, secret and every epoch key this node holds (keys learnt from
// invites are in no message); for a carrier, its link's topic, owner and
// control key. Callers must not log it.
func (s *State) MarshalSecrets() ([]byte, error) {
	f := secretsFile{Version: secretsVersion, Group: s.id.String(), Kind: s.kind.String(), Channel: s.channel, Secret: s.secret, LinkEpoch: s.linkEpoch}
	if c := s.carrier; c != nil {
		f.Topic, f.Owner, f.Control = c.topic, string(c.owner), s.ctlKey
	} else {
		f.Owner = string(s.linkOwner)
	}
	s.mu.RLock()
	for epoch, ek := range s.epochs {
		for _, k := range ek.keys {
			f.Keys = append(f.Keys, secretKey{Epoch: epoch, Key: k})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(f.Keys, func(a, b secretKey) int {
		if a.Epoch != b.Epoch {
			return cmp.Compare(a.Epoch, b.Epoch)
		}
		return bytes.Compare(a.Key, b.Key)
	})
	return json.Marshal(f)
}

// RestoreSecrets rebuilds a State from MarshalSecrets' blob for the local
// user me. The genesis, Ops, parts, profiles and tombstones come back when
// the node replays the group's stored messages (Replay). Errors wrap
// ErrBadSecrets.
func RestoreSecrets(blob []byte, me *identity.User, cfg Config) (*State, error) {
	s, err := restore(blob, me, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSecrets, err)
	}
	return s, nil
}

func restore(blob []byte, me *identity.User, cfg Config) (*State, error) {
	var f secretsFile
	dec := json.NewDecoder(bytes.NewReader(blob))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	if f.Version != secretsVersion {
		return nil, fmt.Errorf("version %d is not supported", f.Version)
	}
	id, err := message.ParseGroupID(f.Group)
	if err != nil {
		return nil, err
	}
	kind, err := ParseKind(f.Kind)
	if err != nil {
		return nil, err
	}
	if f.Channel != "" {
		if kind != KindOpen || f.Secret != nil || f.Keys != nil {
			return nil, fmt.Errorf("channel %q with a kind or keys", f.Channel)
		}
		s, err := NewChannel(f.Channel, cfg)
		if err != nil {
			return nil, err
		}
		if s.id != id {
			return nil, fmt.Errorf("channel %q does not have ID %s", f.Channel, id.Short())
		}
		return s, nil
	}
	if f.Topic != "" {
		return restoreCarrier(f, id, kind, cfg)
	}
	if f.Control != nil {
		return nil, fmt.Errorf("a control key without a carrier's topic")
	}
	s, err := newCreated(id, kind, nil, me, cfg)
	if err != nil {
		return nil, err
	}
	if f.Owner != "" {
		owner, err := identity.ParseFingerprint(f.Owner)
		if err != nil || string(owner) != f.Owner {
			return nil, fmt.Errorf("owner fingerprint %q", f.Owner)
		}
		s.linkOwner = owner
	}
	if kind != KindPrivate {
		if f.Secret != nil || f.Keys != nil {
			return nil, fmt.Errorf("a %s group has no secret or keys", kind)
		}
		return s, nil
	}
	if len(f.Keys) > maxSecretKeys {
		return nil, fmt.Errorf("%d keys, limit %d", len(f.Keys), maxSecretKeys)
	}
	if err := s.setSecret(f.Secret); err != nil {
		return nil, err
	}
	s.linkEpoch = f.LinkEpoch
	for _, k := range f.Keys {
		if k.Epoch == 0 || len(k.Key) != KeySize {
			return nil, fmt.Errorf("key of epoch %d has %d bytes", k.Epoch, len(k.Key))
		}
		s.addKeyLocked(k.Epoch, k.Key)
	}
	return s, nil
}

// restoreCarrier rebuilds a carrier's State, checking its link's fields as
// ParseInvite would.
func restoreCarrier(f secretsFile, id message.GroupID, kind Kind, cfg Config) (*State, error) {
	if kind != KindPrivate || f.Channel != "" || f.Secret != nil || f.Keys != nil {
		return nil, fmt.Errorf("a carrier of a %s group with a channel name, secret or keys", kind)
	}
	owner, err := identity.ParseFingerprint(f.Owner)
	if err != nil || string(owner) != f.Owner {
		return nil, fmt.Errorf("carrier: owner fingerprint %q", f.Owner)
	}
	if !TopicPattern.MatchString(f.Topic) || f.Topic == Topic(id) {
		return nil, fmt.Errorf("carrier: the topic is not a private group's")
	}
	return newCarrier(id, carrierInfo{topic: f.Topic, owner: owner}, f.Control, cfg)
}
