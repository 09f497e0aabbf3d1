package shadow

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Simulation is what the network lab reads of an export's shadow.yaml and
// network.gml to run its hosts as Shadow would: where each host sits, what
// it runs and when, and what the graph does to its packets.
type Simulation struct {
	StopTime time.Duration
	Hosts    []SimHost // in shadow.yaml's order
	Graph    Graph
}

// SimHost is one host of shadow.yaml with its one process.
type SimHost struct {
	Name     string
	Node     int // network_node_id
	Addr     string
	Path     string
	Args     []string
	Start    time.Duration
	Shutdown time.Duration
}

// Graph is the network graph.
type Graph struct {
	Nodes []GraphNode
	Edges []GraphEdge
}

// GraphNode is one node: its hosts' bandwidth, bits per second.
type GraphNode struct {
	ID       int
	Label    string
	Up, Down int64
}

// GraphEdge is one edge, both ways.
type GraphEdge struct {
	Source, Target int
	Latency        time.Duration
	Loss           float64
}

// Edge returns the edge between nodes a and b.
func (g Graph) Edge(a, b int) (GraphEdge, bool) {
	for _, e := range g.Edges {
		if (e.Source == a && e.Target == b) || (e.Source == b && e.Target == a) {
			return e, true
		}
	}
	return GraphEdge{}, false
}

// Node returns the node with id.
func (g Graph) Node(id int) (GraphNode, bool) {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return GraphNode{}, false
}

// ReadSimulation reads an export's shadow.yaml and its graph. It reads what
// Export writes, not every configuration Shadow accepts.
func ReadSimulation(dir string) (*Simulation, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	var doc struct {
		General struct {
			StopTime string `yaml:"stop_time"`
		} `yaml:"general"`
		Network struct {
			Graph struct {
				File struct {
					Path string `yaml:"path"`
				} `yaml:"file"`
			} `yaml:"graph"`
		} `yaml:"network"`
		Hosts yaml.Node `yaml:"hosts"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	s := &Simulation{}
	if s.StopTime, err = shadowTime(doc.General.StopTime); err != nil {
		return nil, fmt.Errorf("%s: general.stop_time: %w", ConfigFile, err)
	}
	if doc.Hosts.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: hosts is not a mapping", ConfigFile)
	}
	for i := 0; i+1 < len(doc.Hosts.Content); i += 2 {
		name := doc.Hosts.Content[i].Value
		var h struct {
			Node      int    `yaml:"network_node_id"`
			Addr      string `yaml:"ip_addr"`
			Processes []struct {
				Path     string   `yaml:"path"`
				Args     []string `yaml:"args"`
				Start    string   `yaml:"start_time"`
				Shutdown string   `yaml:"shutdown_time"`
			} `yaml:"processes"`
		}
		if err := doc.Hosts.Content[i+1].Decode(&h); err != nil {
			return nil, fmt.Errorf("%s: host %s: %w", ConfigFile, name, err)
		}
		if len(h.Processes) != 1 {
			return nil, fmt.Errorf("%s: host %s runs %d processes; an export runs one", ConfigFile, name, len(h.Processes))
		}
		p := h.Processes[0]
		sh := SimHost{Name: name, Node: h.Node, Addr: h.Addr, Path: p.Path, Args: p.Args}
		if sh.Start, err = shadowTime(p.Start); err != nil {
			return nil, fmt.Errorf("%s: host %s: start_time: %w", ConfigFile, name, err)
		}
		if sh.Shutdown, err = shadowTime(p.Shutdown); err != nil {
			return nil, fmt.Errorf("%s: host %s: shutdown_time: %w", ConfigFile, name, err)
		}
		s.Hosts = append(s.Hosts, sh)
	}
	gml, err := os.ReadFile(filepath.Join(dir, doc.Network.Graph.File.Path))
	if err != nil {
		return nil, fmt.Errorf("%s: the network graph: %w", ConfigFile, err)
	}
	if s.Graph, err = parseGraph(string(gml)); err != nil {
		return nil, fmt.Errorf("%s: %w", doc.Network.Graph.File.Path, err)
	}
	return s, nil
}

// shadowTime parses the times Export writes: "30s", "5 ms", "35 us".
func shadowTime(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time", s)
	}
	return d, nil
}

// shadowRate parses the bandwidths Export writes: "20 Mbit", "1008 bit".
func shadowRate(s string) (int64, error) {
	num, unit, _ := strings.Cut(s, " ")
	v, err := strconv.ParseInt(num, 10, 64)
	mult := map[string]int64{"bit": 1, "Kbit": 1e3, "Mbit": 1e6, "Gbit": 1e9}[unit]
	if err != nil || mult == 0 {
		return 0, fmt.Errorf("%q is not a bandwidth", s)
	}
	return v * mult, nil
}

// parseGraph reads the GML that graph.write writes: a graph of nodes and
// edges with scalar attributes.
func parseGraph(src string) (Graph, error) {
	toks, err := gmlTokens(src)
	if err != nil {
		return Graph{}, err
	}
	var g Graph
	if len(toks) < 3 || toks[0] != "graph" || toks[1] != "[" || toks[len(toks)-1] != "]" {
		return g, errors.New("not a GML graph [ ... ]")
	}
	toks = toks[2 : len(toks)-1]
	for len(toks) > 0 {
		key := toks[0]
		if key == "node" || key == "edge" {
			end := indexOf(toks, "]")
			if len(toks) < 2 || toks[1] != "[" || end < 0 || (end-2)%2 != 0 {
				return g, fmt.Errorf("a %s without its [ key value ... ]", key)
			}
			attrs := map[string]string{}
			for i := 2; i < end; i += 2 {
				attrs[toks[i]] = toks[i+1]
			}
			toks = toks[end+1:]
			if err := g.add(key, attrs); err != nil {
				return g, err
			}
			continue
		}
		if len(toks) < 2 {
			return g, fmt.Errorf("%s without a value", key)
		}
		toks = toks[2:] // graph attributes (directed)
	}
	return g, nil
}

func (g *Graph) add(kind string, a map[string]string) error {
	atoi := func(k string) (int, error) {
		v, err := strconv.Atoi(a[k])
		if err != nil {
			return 0, fmt.Errorf("%s %s %q is not a number", kind, k, a[k])
		}
		return v, nil
	}
	if kind == "node" {
		id, err := atoi("id")
		if err != nil {
			return err
		}
		n := GraphNode{ID: id, Label: a["label"]}
		if n.Up, err = shadowRate(a["host_bandwidth_up"]); err != nil {
			return fmt.Errorf("node %d: %w", id, err)
		}
		if n.Down, err = shadowRate(a["host_bandwidth_down"]); err != nil {
			return fmt.Errorf("node %d: %w", id, err)
		}
		g.Nodes = append(g.Nodes, n)
		return nil
	}
	var e GraphEdge
	var err error
	if e.Source, err = atoi("source"); err != nil {
		return err
	}
	if e.Target, err = atoi("target"); err != nil {
		return err
	}
	if e.Latency, err = shadowTime(a["latency"]); err != nil {
		return fmt.Errorf("edge %d-%d: %w", e.Source, e.Target, err)
	}
	if e.Loss, err = strconv.ParseFloat(a["packet_loss"], 64); err != nil || e.Loss < 0 || e.Loss > 1 {
		return fmt.Errorf("edge %d-%d: packet_loss %q is not a share from 0 to 1", e.Source, e.Target, a["packet_loss"])
	}
	g.Edges = append(g.Edges, e)
	return nil
}

func indexOf(toks []string, s string) int {
	for i, t := range toks {
		if t == s {
			return i
		}
	}
	return -1
}

// gmlTokens splits GML into keys, values (quoted strings unquoted) and
// brackets.
func gmlTokens(src string) ([]string, error) {
	var out []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '[' || c == ']':
			out = append(out, string(c))
			i++
		case c == '"':
			end := strings.IndexByte(src[i+1:], '"')
			if end < 0 {
				return nil, errors.New("a string without its closing quote")
			}
			out = append(out, src[i+1:i+1+end])
			i += end + 2
		default:
			j := i
			for j < len(src) && !unicode.IsSpace(rune(src[j])) && src[j] != '[' && src[j] != ']' && src[j] != '"' {
				j++
			}
			out = append(out, src[i:j])
			i = j
		}
	}
	return out, nil
}
