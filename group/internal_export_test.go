package group

import "starling/message"

// Heads returns the IDs an Op written now would name as parents, for tests
// that forge Ops on top of a node's current state.
func (s *State) Heads() []message.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.auth == nil {
		return nil
	}
	return s.auth.heads()
}
