package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every
// store must join its writer, its garbage collector and Badger's own.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
