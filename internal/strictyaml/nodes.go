package strictyaml

import (
	"fmt"
	"github.com/drillkit/drill/internal/teamfile"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resolve follows document and alias nodes to the value node; nil when
// there is none (an empty document, or a chain of aliases too long to be
// real).
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 32; i++ {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	n = Resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names what a node holds, for "expected X, got Y" messages.
func Describe(n *yaml.Node) string {
	n = Resolve(n)
	if IsNull(n) {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		// At most a short excerpt: the value may be anything a file
		// holds (a long line, a secret a link pointed at).
		return teamfile.Excerpt(n.Value)
	}
	return "something else"
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.$/\[\]-]*$`)

// Join appends a mapping key to a dotted field path. A key that is not
// plain (spaces, quotes, line breaks) is quoted, so that a problem stays
// one readable line.
func Join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index to a field path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Find follows a field path such as "policies[0].rules[1].escalate_after"
// or "prices.gpt-4.1" (keys may hold dots; quoted keys as Join writes
// them) from n. It returns the key node and value node of the deepest
// part of the path that is written (a list item is its own key), and
// whether the whole path is. Both are nil when not even the first part is.
func Find(n *yaml.Node, path string) (key, value *yaml.Node, found bool) {
	n = Resolve(n)
	for path != "" {
		if n == nil {
			return key, value, false
		}
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			i, err := strconv.Atoi(path[1:max(end, 1)])
			if end < 0 || err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return key, value, false
			}
			key = n.Content[i]
			n, value = Resolve(key), Resolve(key)
			path = strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return key, value, false
		}
		best, bestLen := -1, 0
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := Resolve(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				continue
			}
			for _, name := range []string{k.Value, strconv.Quote(k.Value)} {
				rest, ok := strings.CutPrefix(path, name)
				if ok && len(name) > bestLen && (rest == "" || rest[0] == '.' || rest[0] == '[') {
					best, bestLen = i, len(name)
				}
			}
		}
		if best < 0 {
			return key, value, false
		}
		key, n = n.Content[best], Resolve(n.Content[best+1])
		value = n
		path = strings.TrimPrefix(path[bestLen:], ".")
	}
	return key, value, true
}

// Doc is a parsed file, or a part of one: Root is the value node at field
// path Path ("" for the whole file; nil for an empty file). Its methods
// take full field paths, as problems name them.
type Doc struct {
	File string
	Root *yaml.Node
	Path string
}

// find is Find relative to the document's path.
func (d *Doc) find(field string) (key, value *yaml.Node, found bool) {
	if d == nil {
		return nil, nil, false
	}
	rel := field
	if d.Path != "" {
		var ok bool
		if rel, ok = strings.CutPrefix(field, d.Path); !ok || (rel != "" && rel[0] != '.' && rel[0] != '[') {
			return nil, nil, false
		}
		rel = strings.TrimPrefix(rel, ".")
	}
	return Find(d.Root, rel)
}

// Has reports whether field is written in the document.
func (d *Doc) Has(field string) bool {
	_, _, found := d.find(field)
	return found
}

// Key returns the key node of field, or nil when it is not written.
func (d *Doc) Key(field string) *yaml.Node {
	k, _, found := d.find(field)
	if !found {
		return nil
	}
	return k
}

// Value returns the value node of field (aliases followed), or nil when
// it is not written.
func (d *Doc) Value(field string) *yaml.Node {
	_, v, found := d.find(field)
	if !found {
		return nil
	}
	return v
}

// Problemf is a problem with field, placed at its key, or at the key of
// the deepest part of its path that is written (a missing field is
// placed at its parent), or at the document's root.
func (d *Doc) Problemf(field, format string, args ...any) Problem {
	k, _, _ := d.find(field)
	return At(d.file(), d.orRoot(k), field, format, args...)
}

// ValueProblemf is Problemf placed at the value rather than at the key.
func (d *Doc) ValueProblemf(field, format string, args ...any) Problem {
	k, v, found := d.find(field)
	if found && v != nil {
		k = v
	}
	return At(d.file(), d.orRoot(k), field, format, args...)
}

func (d *Doc) file() string {
	if d == nil {
		return ""
	}
	return d.File
}

func (d *Doc) orRoot(n *yaml.Node) *yaml.Node {
	if n == nil && d != nil {
		return d.Root
	}
	return n
}
