package apiserver

import (
	"errors"
	"fmt"

	"starling/group"
	"starling/identity"
)

// personFinder is the part of a Backend that finds a person by less than a
// whole fingerprint (the node does, node.FindPerson).
type personFinder interface {
	FindPerson(ref string) (identity.Fingerprint, error)
}

// person reads the person a request names (what says where): a whole
// fingerprint, or, when the backend can find people, a unique prefix of
// one (as log and the chats show it) or a nickname. One that matches
// several people is a bad request whose error names them; one that
// matches nobody is not found.
func (s *Server) person(what, ref string) (identity.Fingerprint, error) {
	f, ok := s.cfg.Backend.(personFinder)
	if !ok {
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
