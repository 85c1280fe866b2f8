package mutate

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzRender changes one node of any YAML file as the operators do (a
// scalar's value, an item removed, a pair added) and checks that the
// patched text reads as the changed tree, whatever the input's layout.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, y]\n",
		"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          up\n            > 0\n        for: 1m\n",
		"users:\n  - id: a\n    notification_rules:\n      - {after: 0m, via: push}\n\nroutes:\n  - default: true\n    policy: p\n",
		"# c\nk: \"v\" # t\nl: 'it''s'\n",
		"a:\r\n  - 1\r\n  - 2\r\n",
		"x: &a {y: 1}\nz: *a\n",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, src []byte, k uint8) {
		if len(src) > 4096 {
			return
		}
		var orig, changed yaml.Node
		if yaml.Unmarshal(src, &orig) != nil || yaml.Unmarshal(src, &changed) != nil {
			return
		}
		var nodes []*yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			nodes = append(nodes, n)
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&changed)
		if len(nodes) == 0 {
			return
		}
		n := nodes[int(k)%len(nodes)]
		switch n.Kind {
		case yaml.ScalarNode:
			n.Value += "_mutant"
		case yaml.SequenceNode:
			if len(n.Content) > 0 {
				n.Content = n.Content[1:]
			}
		case yaml.MappingNode:
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "drill_mutant"}, &yaml.Node{Kind: yaml.ScalarNode, Value: "x"})
		}
		out := render(src, &orig, &changed)
		var got, want any
		encoded := (&yamlDoc{root: changed}).encode()
		if yaml.Unmarshal(encoded, &want) != nil {
			return // the change made a tree yaml.v3 cannot read back (an alias to a changed key)
		}
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("rendered text does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rendered text reads as %v, want %v\n%s", got, want, out)
		}
	})
}
