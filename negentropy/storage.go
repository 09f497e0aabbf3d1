package negentropy

// Storage is the local side's set: items sorted ascending (see Item.Compare),
// without duplicates, and unchanged while any Negentropy uses it.
//
// Negentropy calls it only from the goroutine that calls Negentropy's
// methods, always with 0 <= begin <= end <= Size() and 0 <= i < Size(). An
// immutable Storage (such as a sealed Vector) may serve many Negentropy
// sessions at once.
type Storage interface {
	// Size returns the number of items.
	Size() int
	// Get returns the item at index i.
	Get(i int) Item
	// FindLowerBound returns the first index in [begin, end) whose item is
	// not less than key, or end if there is none.
	FindLowerBound(begin, end int, key Item) int
	// Fingerprint returns the fingerprint of the items in [begin, end).
	Fingerprint(begin, end int) Fingerprint
}
