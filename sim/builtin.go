package sim

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// scenarios are the shipped scenarios, also readable as files under
// sim/scenarios.
//
//go:embed scenarios/*.yaml
var scenarios embed.FS

// Builtins lists the names of the shipped scenarios, sorted.
func Builtins() []string {
	entries, _ := fs.ReadDir(scenarios, "scenarios")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// BuiltinYAML returns the YAML file of the shipped scenario called name
// (see Builtins), comments and all.
func BuiltinYAML(name string) ([]byte, error) {
	b, err := scenarios.ReadFile(path.Join("scenarios", name+".yaml"))
	if err != nil || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("%w: no built-in scenario %q; the built-in ones are %s", ErrScenario, name, strings.Join(Builtins(), ", "))
	}
	return b, nil
}

// Builtin parses the shipped scenario called name (see Builtins).
func Builtin(name string) (*Scenario, error) {
	b, err := BuiltinYAML(name)
	if err != nil {
		return nil, err
	}
	sc, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("built-in %s: %w", name, err)
	}
	if sc.Name == "" {
		sc.Name = name
	}
	return sc, nil
}
