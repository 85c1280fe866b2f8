package mutate

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A mutant's YAML is the original text with only the changed nodes
// rewritten: render compares the original tree with the changed copy
// (unchanged nodes keep their positions; new ones have none) and patches
// the original text where they differ. Where a change is of a shape it
// does not patch (a removal from a flow sequence, say), or the patched
// text does not read back as the changed tree, the changed tree is
// encoded whole instead: the same content, comments kept, spacing not.

type edit struct {
	from, to int
	text     string
}

type patcher struct {
	src   []byte
	lines []int // byte offset of each line start (line i+1 at lines[i])
	edits []edit
}

func newPatcher(src []byte) *patcher {
	p := &patcher{src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			p.lines = append(p.lines, i+1)
		}
	}
	return p
}

// off is the byte offset of a node's 1-based line and column.
func (p *patcher) off(line, col int) (int, bool) {
	if line < 1 || line > len(p.lines) {
		return 0, false
	}
	o := p.lines[line-1] + col - 1
	return o, o <= len(p.src)
}

// lineEnd is the offset just past line's newline.
func (p *patcher) lineEnd(line int) int {
	if line < len(p.lines) {
		return p.lines[line]
	}
	return len(p.src)
}

func indentOf(b []byte) (int, bool) {
	s := strings.TrimRight(string(b), "\r\n")
	t := strings.TrimLeft(s, " ")
	return len(s) - len(t), t != ""
}

// blockEnd is where the block that starts on line, at indent, ends: the
// start of the first later line with content at indent or less.
func (p *patcher) blockEnd(line, indent int) int {
	for l := line + 1; l <= len(p.lines); l++ {
		in, content := indentOf(p.src[p.lines[l-1]:p.lineEnd(l)])
		if content && in <= indent {
			return p.lines[l-1]
		}
	}
	return len(p.src)
}

// trimBlank moves end back over the blank lines before it.
func (p *patcher) trimBlank(end int) int {
	for end > 0 {
		i := bytes.LastIndexByte(p.src[:end-1], '\n') + 1
		if _, content := indentOf(p.src[i:end]); content {
			return end
		}
		end = i
	}
	return end
}

// scalarEnd is the offset past a single-line scalar's token at o.
func (p *patcher) scalarEnd(n *yaml.Node, o int) (int, bool) {
	s := p.src
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		for i := o + 1; i < len(s) && s[i] != '\n'; i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				return i + 1, true
			}
		}
	case yaml.SingleQuotedStyle:
		for i := o + 1; i < len(s) && s[i] != '\n'; i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, true
			}
		}
	case 0, yaml.TaggedStyle:
		end := o + len(n.Value)
		if end <= len(s) && string(s[o:end]) == n.Value {
			return end, true
		}
	}
	return 0, false
}

// flow renders a node on one line.
func flow(n *yaml.Node) (string, bool) {
	c := *n
	if c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
		c.Style |= yaml.FlowStyle
	}
	b, err := yaml.Marshal(&c)
	if err != nil {
		return "", false
	}
	out := strings.TrimSuffix(string(b), "\n")
	return out, !strings.Contains(out, "\n")
}

// block renders a new node as block lines, each prefixed with indent.
func block(n *yaml.Node, indent string) (string, bool) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if enc.Encode(n) != nil || enc.Close() != nil {
		return "", false
	}
	var out strings.Builder
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l != "" {
			out.WriteString(indent + l)
		}
	}
	return out.String(), true
}

func same(a, b *yaml.Node) bool { return b.Line != 0 && a.Line == b.Line && a.Column == b.Column }

// diff patches a (original, positioned) into b (its changed copy).
func (p *patcher) diff(a, b *yaml.Node) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case yaml.DocumentNode:
		return len(a.Content) == len(b.Content) && (len(a.Content) == 0 || p.diff(a.Content[0], b.Content[0]))
	case yaml.ScalarNode:
		if a.Value == b.Value && a.Tag == b.Tag {
			return true
		}
		if a.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(b.Value, "\n") {
			return false
		}
		o, ok := p.off(a.Line, a.Column)
		if !ok {
			return false
		}
		end, ok := p.scalarEnd(a, o)
		if !ok {
			return false
		}
		c := *b
		c.Style = 0
		if a.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && a.Tag == b.Tag {
			c.Style = a.Style
		}
		text, ok := flow(&c)
		if !ok {
			return false
		}
		p.edits = append(p.edits, edit{o, end, text})
		return true
	case yaml.MappingNode:
		return p.diffMap(a, b)
	case yaml.SequenceNode:
		return p.diffSeq(a, b)
	}
	return a.Value == b.Value
}

func (p *patcher) diffMap(a, b *yaml.Node) bool {
	flowStyle := a.Style&yaml.FlowStyle != 0
	matched := map[int]bool{}
	lastEnd := -1
	for i := 0; i+1 < len(a.Content); i += 2 {
		k, v := a.Content[i], a.Content[i+1]
		j := -1
		for x := 0; x+1 < len(b.Content); x += 2 {
			if same(k, b.Content[x]) {
				j = x
			}
		}
		if j < 0 { // the pair was removed
			if flowStyle {
				return false
			}
			o, ok := p.off(k.Line, 1)
			if !ok {
				return false
			}
			p.edits = append(p.edits, edit{o, p.blockEnd(k.Line, k.Column-1), ""})
			continue
		}
		matched[j] = true
		if !p.diff(k, b.Content[j]) {
			return false
		}
		bv := b.Content[j+1]
		if v.Kind == yaml.ScalarNode && bv.Kind == yaml.ScalarNode && same(v, bv) && v.Value != bv.Value &&
			v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && !flowStyle {
			// a block scalar (expr: |) becomes one line
			c := *bv
			c.Style = 0
			text, ok := flow(&c)
			o, ok2 := p.off(v.Line, v.Column)
			if !ok || !ok2 {
				return false
			}
			p.edits = append(p.edits, edit{o, p.trimBlank(p.blockEnd(k.Line, k.Column-1)), text + "\n"})
		} else if !same(v, bv) && bv.Line == 0 { // a new value for the key
			if flowStyle || v.Line != k.Line {
				return false
			}
			text, ok := flow(bv)
			if !ok {
				return false
			}
			o, _ := p.off(v.Line, v.Column)
			p.edits = append(p.edits, edit{o, p.blockEnd(k.Line, k.Column-1) - 1, text})
		} else if !p.diff(v, bv) {
			return false
		}
		if !flowStyle {
			lastEnd = p.trimBlank(p.blockEnd(k.Line, k.Column-1))
		}
	}
	for x := 0; x+1 < len(b.Content); x += 2 {
		if matched[x] {
			continue
		}
		// a new pair: after the last one, at its indentation
		if flowStyle || lastEnd < 0 || len(a.Content) == 0 {
			return false
		}
		k, v := b.Content[x], b.Content[x+1]
		indent := strings.Repeat(" ", a.Content[0].Column-1)
		var text string
		if t, ok := flow(v); ok && (v.Kind == yaml.ScalarNode || v.Style&yaml.FlowStyle != 0) {
			text = indent + k.Value + ": " + t + "\n"
		} else if t, ok := block(v, indent+"  "); ok {
			text = indent + k.Value + ":\n" + t
		} else {
			return false
		}
		p.edits = append(p.edits, edit{lastEnd, lastEnd, p.newline(lastEnd) + text})
	}
	return true
}

// newline is the newline a text inserted at o needs first: none unless
// o is the end of a file without a final one.
func (p *patcher) newline(o int) string {
	if o == len(p.src) && o > 0 && p.src[o-1] != '\n' {
		return "\n"
	}
	return ""
}

// dash is the column (0-based) of an item's "- " on its line.
func (p *patcher) dash(it *yaml.Node) (int, bool) {
	o, ok := p.off(it.Line, it.Column)
	if !ok {
		return 0, false
	}
	start := p.lines[it.Line-1]
	i := bytes.LastIndexByte(p.src[start:o], '-')
	return i, i >= 0
}

func (p *patcher) diffSeq(a, b *yaml.Node) bool {
	flowStyle := a.Style&yaml.FlowStyle != 0
	bi := 0
	lastEnd, lastDash := -1, -1
	for _, it := range a.Content {
		if bi < len(b.Content) && same(it, b.Content[bi]) {
			if !p.diff(it, b.Content[bi]) {
				return false
			}
			bi++
			if !flowStyle {
				d, ok := p.dash(it)
				if !ok {
					return false
				}
				lastEnd, lastDash = p.trimBlank(p.blockEnd(it.Line, d)), d
			}
			continue
		}
		// the item was removed
		if flowStyle {
			return false
		}
		d, ok := p.dash(it)
		if !ok {
			return false
		}
		p.edits = append(p.edits, edit{p.lines[it.Line-1], p.blockEnd(it.Line, d), ""})
	}
	if len(b.Content) == 0 && len(a.Content) > 0 && !flowStyle {
		// every item removed: the key's line ends in [] (an empty list,
		// not null)
		first := a.Content[0]
		if first.Line < 2 {
			return false
		}
		o := p.lines[first.Line-1] - 1 // the newline before the first item
		p.edits = append(p.edits, edit{o, o, " []"})
	}
	for ; bi < len(b.Content); bi++ { // new items, at the end
		if flowStyle || lastEnd < 0 || b.Content[bi].Line != 0 {
			return false
		}
		indent := strings.Repeat(" ", lastDash)
		t, ok := block(b.Content[bi], indent+"  ")
		if !ok {
			return false
		}
		t = indent + "- " + strings.TrimPrefix(t, indent+"  ")
		p.edits = append(p.edits, edit{lastEnd, lastEnd, p.newline(lastEnd) + t})
	}
	return true
}

// apply applies the edits, from the last, to a copy of the source.
func (p *patcher) apply() ([]byte, bool) {
	es := append([]edit(nil), p.edits...)
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].from > es[j-1].from; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
	out := append([]byte(nil), p.src...)
	prev := len(out) + 1
	for _, e := range es {
		if e.to > prev || e.from > e.to {
			return nil, false // overlapping edits
		}
		out = splice(out, e.from, e.to, []byte(e.text))
		prev = e.from
	}
	return out, true
}

// render is the changed tree as the original text patched, or encoded
// whole where patching cannot be shown to give the same content.
func render(src []byte, orig, changed *yaml.Node) []byte {
	encoded := (&yamlDoc{root: *changed}).encode()
	p := newPatcher(src)
	if !p.diff(orig, changed) {
		return encoded
	}
	out, ok := p.apply()
	if !ok {
		return encoded
	}
	var got, want any
	if yaml.Unmarshal(out, &got) != nil || yaml.Unmarshal(encoded, &want) != nil || !reflect.DeepEqual(got, want) {
		return encoded
	}
	return out
}
