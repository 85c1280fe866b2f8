package mutate

import (
	"bytes"
	"fmt"
	"path"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/teamfile"
	"github.com/drillkit/drill/team"
)

// readTeamFile reads file (relative to the team directory) through
// internal/teamfile, within the cap of its kind.
func readTeamFile(t *team.Team, file string) ([]byte, error) {
	root, err := teamfile.OpenRoot(t.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	max := int64(teamfile.MaxYAML)
	if path.Ext(file) == ".md" {
		max = teamfile.MaxRunbook
	}
	return root.ReadFile(file, file, max)
}

// yamlDoc is a YAML file as a node tree, to change and write back with
// its comments and styles.
type yamlDoc struct {
	root yaml.Node // the document node
}

// body is the document's top node, nil for an empty file.
func (d *yamlDoc) body() *yaml.Node {
	if d.root.Kind == yaml.DocumentNode && len(d.root.Content) > 0 {
		return d.root.Content[0]
	}
	return nil
}

// encode writes the tree back, indented as drill's examples are.
func (d *yamlDoc) encode() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&d.root); err != nil {
		return nil // a tree yaml.v3 read encodes; nil reads as "no change"
	}
	_ = enc.Close()
	return b.Bytes()
}

// mutateYAML parses file afresh, lets change edit the copy's tree, and
// returns the copy's text; nil when change says it did not apply.
func mutateYAML(t *team.Team, file string, change func(body *yaml.Node) bool) ([]byte, error) {
	src, err := readTeamFile(t, file)
	if err != nil {
		return nil, err
	}
	var orig, d yamlDoc
	if err := yaml.Unmarshal(src, &orig.root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err) // team.Load read it; not expected
	}
	_ = yaml.Unmarshal(src, &d.root)
	b := d.body()
	if b == nil || !change(b) {
		return nil, nil
	}
	return render(src, &orig.root, &d.root), nil
}

// get is the value of key in the mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// set gives key the scalar value v in the mapping n, adding the key
// when missing.
func set(n *yaml.Node, key, v string) {
	if val := get(n, key); val != nil {
		if val.Kind != yaml.ScalarNode {
			val.Kind, val.Tag, val.Content, val.Style = yaml.ScalarNode, "", nil, 0
		}
		val.Value = v
		return
	}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Value: v})
}

// str is the scalar value of key in n, or "".
func str(n *yaml.Node, key string) string {
	if v := get(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// items is the items of the sequence at key in n.
func items(n *yaml.Node, key string) []*yaml.Node {
	if v := get(n, key); v != nil && v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return nil
}

// remove drops item i of the sequence at key in n.
func remove(n *yaml.Node, key string, i int) bool {
	v := get(n, key)
	if v == nil || v.Kind != yaml.SequenceNode || i >= len(v.Content) {
		return false
	}
	v.Content = append(v.Content[:i:i], v.Content[i+1:]...)
	return true
}
