//go:build !(js && wasm)

// Command starling-phone-wasm is the phone page's engine as WebAssembly; on
// any other platform it only says how to build it.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "starling-phone-wasm runs in a browser: build it with scripts/build-phone-wasm (GOOS=js GOARCH=wasm)")
	os.Exit(2)
}
