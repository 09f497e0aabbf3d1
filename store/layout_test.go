package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"starling/message"
)

// layoutRow is one line of the key layout that doc.go documents.
type layoutRow struct {
	line   string
	prefix string
	// size is the key's length in bytes, prefix included; -1 when the key
	// ends in something of variable length (a peer ID, an original key).
	size int
}

var (
	layoutHeading = regexp.MustCompile(`^Key layout \(schema version (\d+)\):$`)
	// A row: `"m/" id(32) ... -> value`.
	layoutRowRE = regexp.MustCompile(`^\t"([^"]+)"(.*?)->`)
	// A fixed-size part of a key: `id(32)`, `sent_at_ms(8 BE)`.
	layoutPartRE = regexp.MustCompile(`[a-z_ ]+\((\d+)(?: BE)?\)`)
)

// documentedLayout reads the key layout from the package comment in doc.go:
// the schema version in its heading and a row for each prefix.
func documentedLayout(t *testing.T) (schema int, rows []layoutRow) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("doc.go has no package comment")
	}
	schema = -1
	for line := range strings.SplitSeq(f.Doc.Text(), "\n") {
		if m := layoutHeading.FindStringSubmatch(line); m != nil {
			schema, _ = strconv.Atoi(m[1])
			continue
		}
		m := layoutRowRE.FindStringSubmatch(line)
		if schema < 0 || m == nil {
			continue
		}
		key := strings.TrimSpace(m[2])
		r := layoutRow{line: strings.TrimSpace(line), prefix: m[1], size: len(m[1])}
		for _, part := range layoutPartRE.FindAllStringSubmatch(key, -1) {
			n, _ := strconv.Atoi(part[1])
			r.size += n
		}
		if strings.TrimSpace(layoutPartRE.ReplaceAllString(key, "")) != "" {
			r.size = -1
		}
		rows = append(rows, r)
	}
	if schema < 0 || len(rows) == 0 {
		t.Fatalf("doc.go has no %q heading followed by rows of keys", "Key layout (schema version N):")
	}
	return schema, rows
}

// declaredPrefixes returns the prefix variables keys.go declares, by name:
// every package-level variable set to []byte("...").
func declaredPrefixes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				call, ok := v.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					continue
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[vs.Names[i].Name] = s
			}
		}
	}
	return out
}

// rowOf returns the documented row whose prefix k starts with ("v" only
// matches the key "v").
func rowOf(rows []layoutRow, k []byte) (layoutRow, bool) {
	for _, r := range rows {
		if (len(r.prefix) == 1 && string(k) == r.prefix) || (len(r.prefix) > 1 && bytes.HasPrefix(k, []byte(r.prefix))) {
			return r, true
		}
	}
	return layoutRow{}, false
}

// The layout doc.go documents is the one the code writes: the same schema
// version, the prefixes keys.go declares and no others, and keys of the
// documented lengths in a store that holds a record of every kind.
func TestDocumentedKeyLayout(t *testing.T) {
	schema, rows := documentedLayout(t)
	if schema != schemaVersion {
		t.Errorf("doc.go documents schema version %d; the code writes %d", schema, schemaVersion)
	}
	documented := map[string]bool{}
	for _, r := range rows {
		if documented[r.prefix] {
			t.Errorf("doc.go documents prefix %q twice", r.prefix)
		}
		documented[r.prefix] = true
	}
	declared := declaredPrefixes(t)
	for name, p := range declared {
		if !documented[p] {
			t.Errorf("keys.go declares %s = %q, which doc.go's key layout does not document", name, p)
		}
	}
	for p := range documented {
		if !slices.Contains(slices.Collect(maps.Values(declared)), p) {
			t.Errorf("doc.go documents prefix %q, which keys.go does not declare", p)
		}
	}

	// A store with a record under every prefix: messages (a text and a
	// control message, one of them in the outbox), a deletion, a group with
	// its state and expiry, a block, a peer and a quarantined record.
	s, _ := backends[1].open(t, "", Config{})
	ctx := context.Background()
	g := groupID("layout")
	text := sign(t, keyFrom("alice"), g, 1000, "hello")
	if _, err := s.PutOwn(ctx, text); err != nil {
		t.Fatal(err)
	}
	deleted := sign(t, keyFrom("bob"), g, 1001, "deleted")
	mustPut(t, s, []*message.Message{signKind(t, g, 1002, message.KindDescriptor, "a descriptor"), deleted}, OriginGossip)
	if err := s.Delete(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PutGroup(Group{ID: g, Name: "layout", Kind: "open"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutGroupState(g, []byte("state")); err != nil {
		t.Fatal(err)
	}
	if err := s.ExpireGroup(g, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlock(testKey.Public().(ed25519.PublicKey), "block"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPeer(Peer{ID: "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo", Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}}); err != nil {
		t.Fatal(err)
	}
	var damaged message.ID
	damaged[0] = 0xda
	rawSet(t, s, messageKey(damaged), []byte("not an envelope"))
	if _, err := s.Repair(ctx, CheckOptions{}); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for k := range dump(t, s) {
		r, ok := rowOf(rows, []byte(k))
		if !ok {
			t.Errorf("the store wrote key %s, under no prefix doc.go documents", keyName([]byte(k)))
			continue
		}
		seen[r.prefix] = true
		if r.size >= 0 && len(k) != r.size {
			t.Errorf("key %s is %d bytes; doc.go documents %d (%s)", keyName([]byte(k)), len(k), r.size, r.line)
		}
	}
	for _, r := range rows {
		if !seen[r.prefix] {
			t.Errorf("no key under %q in a store with a record of every kind: is the row %q still true?", r.prefix, r.line)
		}
	}
}
