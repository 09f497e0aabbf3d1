// Package testwait is how Starling's tests wait for something that happens
// on another goroutine, in another process or across the network: poll a
// condition until a generous deadline, never sleep a fixed time. When the
// deadline passes first, the test fails saying what it waited for and,
// when the caller can tell, why the condition still did not hold.
//
// Only tests import it. Each package passes its own deadline, sized for a
// busy two-core machine running every package's tests under -race: the
// deadline only matters when something is broken, since a wait ends as soon
// as its condition holds.
package testwait
