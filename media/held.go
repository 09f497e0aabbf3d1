package media

import "errors"

// Why a node cannot hand out a picture it knows the manifest of. The node
// returns them; the API maps them to statuses without importing the node.
var (
	// ErrNotHeld: some of the picture's chunks are not on this node yet;
	// fetch them and ask again.
	ErrNotHeld = errors.New("picture not held here yet")
	// ErrBroken: the picture's chunks do not give the image its manifest
	// names (its author's client is faulty or hostile); the node neither
	// shows nor serves it.
	ErrBroken = errors.New("picture is damaged")
	// ErrNotPicture: the message named is not a picture's manifest.
	ErrNotPicture = errors.New("not a picture")
	// ErrAmbiguous: an ID prefix names several pictures.
	ErrAmbiguous = errors.New("several pictures start with that ID")
)
