package apiserver

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// People finds people (Config.People); the node's conversation.Service
// is one.
type People interface {
	// FindPerson finds the one person ref names: a fingerprint, a unique
	// prefix of one or a nickname.
	FindPerson(ref string) (identity.Fingerprint, error)
	// Whois returns an author's key and their nickname in each joined
	// group they were seen in.
	Whois(author identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error)
}

// errNoPeople: the server was given no People.
var errNoPeople = errors.New("this node does not look people up")

// whois is People.Whois, or errNoPeople without People.
func (s *Server) whois(fp identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error) {
	if s.cfg.People == nil {
		return nil, nil, errNoPeople
	}
	return s.cfg.People.Whois(fp)
}

// person reads the person a request names (what says where): a whole
// fingerprint, or, when the backend can find people, a unique prefix of
// one (as log and the chats show it) or a nickname. One that matches
// several people is a bad request whose error names them; one that
// matches nobody is not found.
func (s *Server) person(what, ref string) (identity.Fingerprint, error) {
	f := s.cfg.People
	if f == nil {
		return parseFingerprint(what, ref)
	}
	fp, err := f.FindPerson(ref)
	switch {
	case errors.Is(err, group.ErrAmbiguousPerson):
		return "", fmt.Errorf("%w: %s: %w", errBadRequest, what, err)
	case err != nil:
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return fp, nil
}
