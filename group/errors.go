package group

import "errors"

// Why a message, payload, invite or secrets blob is refused. Check's errors
// wrap exactly one of these (or a message sentinel for a broken envelope),
// so callers map them with errors.Is.
var (
	// ErrBadPayload means a payload does not decode canonically or breaks a
	// field rule (key sizes, sorted lists, names, versions).
	ErrBadPayload = errors.New("bad group payload")
	// ErrWrongGroup means a message or descriptor belongs to another group,
	// or a descriptor's owner and salt do not commit to this group's ID.
	ErrWrongGroup = errors.New("message is for another group")
	// ErrNotAllowed means the author lacks the role the message needs
	// (owner or admin for moderation, a poster in an announcement channel).
	ErrNotAllowed = errors.New("author is not allowed to do this")
	// ErrStale means the message may be valid in a view of the group this
	// node does not have yet (an operation's parent or an operation a part
	// belongs to is unknown, the genesis is not known yet).
	ErrStale = errors.New("message does not fit this node's view of the group yet")
	// ErrUnknownKey means no key of the message's epoch and key ID is known.
	ErrUnknownKey = errors.New("no key for this epoch")
	// ErrDecrypt means a sealed payload failed to open under a known key.
	ErrDecrypt = errors.New("sealed payload does not open")
	// ErrRemoved means the author was removed from the private group.
	ErrRemoved = errors.New("author was removed from the group")
	// ErrBanned means the author is banned.
	ErrBanned = errors.New("author is banned")
	// ErrNotMember means the author is not a member of the private group:
	// no profile yet, or an invite made before a removal.
	ErrNotMember = errors.New("author is not a member of the group")
	// ErrRevoked means the author lost the right to post (or their admin
	// role) and this message or operation was not kept: a former admin's
	// operation concurrent with their revocation, or a message no
	// revocation's cut lists.
	ErrRevoked = errors.New("author's right was revoked")
	// ErrDeleted means the message was deleted by a tombstone.
	ErrDeleted = errors.New("message was deleted")
	// ErrUnknownTarget means a deletion names a message this node does not
	// hold, so it cannot tell whether the signer wrote it.
	ErrUnknownTarget = errors.New("deleted message is unknown")
	// ErrGroupExpired means the group's end time plus grace has passed.
	ErrGroupExpired = errors.New("group has ended")
	// ErrRateLimited means an author sends faster than the rate limit or
	// the group's slow mode allows.
	ErrRateLimited = errors.New("author is sending too fast")
	// ErrUnknownPerson means nobody the group's state names has that
	// fingerprint.
	ErrUnknownPerson = errors.New("unknown fingerprint")
	// ErrNameTaken means a new group would share its name with a joined
	// group, which commands could then name only by ID.
	ErrNameTaken = errors.New("a joined group has that name")
	// ErrAmbiguousPerson means a short fingerprint or a nickname matches
	// more than one person.
	ErrAmbiguousPerson = errors.New("more than one person matches")
	// ErrBadInvite means an invite link is malformed or does not verify.
	ErrBadInvite = errors.New("bad invite link")
	// ErrBadSecrets means a secrets blob does not decode.
	ErrBadSecrets = errors.New("bad group secrets")
)
