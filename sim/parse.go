package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReadFile reads and parses a scenario file; the name defaults to the
// file's base name.
func ReadFile(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	sc, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(strings.TrimSuffix(baseName(path), ".yaml"), ".yml")
	}
	return sc, nil
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Parse reads one YAML document strictly (unknown fields are errors), fills
// the defaults and validates the result. Every error wraps ErrScenario and
// names the field.
func Parse(b []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrScenario)
		}
		return nil, fmt.Errorf("%w: %s", ErrScenario, yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file holds more than one YAML document; keep one scenario per file", ErrScenario)
	}
	sc.fill()
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	return &sc, nil
}

// sectionNames are the YAML places of the scenario's Go types.
var sectionNames = map[string]string{
	"Scenario": "the scenario", "Nodes": "nodes", "Topology": "topology", "Link": "link",
	"Group": "groups", "Load": "load", "Churn": "churn", "Partition": "partitions",
	"Outage": "outages", "Attacker": "attackers", "NodeTuning": "node",
}

var (
	notFound = regexp.MustCompile(`field (\S+) not found in type \*?sim\.(\w+)`)
	noInto   = regexp.MustCompile(`cannot unmarshal (!!\w+)(?: ` + "`([^`]*)`" + `)? into (\S+)$`)
)

// yamlError turns yaml's errors into one line that names the field.
func yamlError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(oneLine(err.Error()), "yaml: ")
	}
	out := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := notFound.FindStringSubmatchIndex(e); m != nil {
			field, typ := e[m[2]:m[3]], e[m[4]:m[5]]
			e = e[:m[0]] + fmt.Sprintf("unknown field %q in %s", field, sectionOf(typ))
		} else if m := noInto.FindStringSubmatchIndex(e); m != nil {
			got := tagName(e[m[2]:m[3]])
			if m[4] >= 0 {
				got = fmt.Sprintf("%q", e[m[4]:m[5]])
			}
			e = e[:m[0]] + fmt.Sprintf("expected %s, got %s", typeDesc(e[m[6]:m[7]]), got)
		}
		out = append(out, e)
	}
	return strings.Join(out, "; ")
}

func sectionOf(typ string) string {
	if s, ok := sectionNames[typ]; ok {
		return s
	}
	return typ
}

// typeDesc describes a Go type of the scenario as a YAML reader would.
func typeDesc(t string) string {
	switch t {
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "string":
		return "text"
	}
	if rest, ok := strings.CutPrefix(t, "[]sim."); ok {
		return "a list of " + sectionOf(rest)
	}
	if rest, ok := strings.CutPrefix(strings.TrimPrefix(t, "*"), "sim."); ok {
		return "the fields of " + sectionOf(rest)
	}
	return t
}

func tagName(tag string) string {
	switch tag {
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!null":
		return "nothing"
	}
	return strings.TrimPrefix(tag, "!!")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
