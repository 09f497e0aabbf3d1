//go:build !race

package negentropy

const raceEnabled = false
