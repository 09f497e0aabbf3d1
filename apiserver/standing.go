package apiserver

import (
	"errors"
	"fmt"

	"starling/group"
	"starling/message"
)

// refusal is a send refused because of this user's standing in the group:
// its text is the one line that says why, and it wraps the group's sentinel
// so that statusOf maps it.
type refusal struct {
	why string
	err error
}

func (e *refusal) Error() string { return e.why }
func (e *refusal) Unwrap() error { return e.err }

// refused rewords a failure to post in the group ref names that comes from
// this user's standing there (removed, banned, an invite a removal made
// stale, a node that has not learnt the group's state yet) as one line that
// says why and what to do. Other errors pass unchanged.
func (s *Server) refused(ref string, err error) error {
	if !errors.Is(err, group.ErrRemoved) && !errors.Is(err, group.ErrBanned) && !errors.Is(err, group.ErrNotMember) &&
		!errors.Is(err, group.ErrRevoked) && !errors.Is(err, group.ErrStale) && !errors.Is(err, group.ErrNoCurrentKey) {
		return err
	}
	g, st, gerr := s.cfg.Backend.GroupState(ref)
	if gerr != nil {
		return err
	}
	if why := st.Standing(s.cfg.Backend.User().PublicKey()).Why(g.Name); why != "" {
		return &refusal{why: why, err: err}
	}
	switch {
	case errors.Is(err, group.ErrStale):
		return &refusal{err: err, why: fmt.Sprintf("your node is still learning the current state of %s from its members; "+
			"try again once it has caught up (`starling sync %s`)", g.Name, g.ID)}
	case errors.Is(err, group.ErrNoCurrentKey):
		return &refusal{err: err, why: fmt.Sprintf("your node holds no current key of %s: after changes made at the same time "+
			"it waits for an admin to hand out a new one, or for the key to arrive; try again soon", g.Name)}
	}
	return err
}

// refusedIn is the one-line reason this user can no longer post in group
// gid, "" when they can (or the group's state is not at hand).
func (s *Server) refusedIn(gid message.GroupID, name string) string {
	_, st, err := s.cfg.Backend.GroupState(gid.String())
	if err != nil {
		return ""
	}
	return st.Standing(s.cfg.Backend.User().PublicKey()).Why(name)
}
