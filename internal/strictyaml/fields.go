package strictyaml

import (
	"reflect"
	"strings"
	"sync"
)

// field is one YAML field of a struct, inline fields flattened.
type field struct {
	name     string
	index    []int // for reflect.Value.FieldByIndex
	required bool
}

// structInfo is what the decoder knows of a struct type.
type structInfo struct {
	fields []field // in declaration order, inline fields in place
	byName map[string]int
	pos    [][]int // Pos fields, set to the mapping's position
	names  string  // the valid field names, for messages
}

var structCache sync.Map // reflect.Type → *structInfo

// fieldsOf reads a struct type's yaml tags: a field is read from YAML
// when its tag names it (`yaml:"name"`); `yaml:",inline"` merges an
// embedded struct's fields into this one, `drill:"omit=a,b"` on it
// leaving some out; `drill:"required"` makes a field required. Untagged
// fields, `yaml:"-"` and unexported fields are not read.
func fieldsOf(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}}
	collect(t, nil, nil, si)
	var names []string
	fields := si.fields[:0]
	for _, f := range si.fields {
		if _, dup := si.byName[f.name]; dup {
			continue // the first field of a name wins (an inline struct's is shadowed)
		}
		si.byName[f.name] = len(fields)
		fields = append(fields, f)
		names = append(names, f.name)
	}
	si.fields = fields
	si.names = strings.Join(names, ", ")
	structCache.Store(t, si)
	return si
}

func collect(t reflect.Type, prefix []int, omit map[string]bool, si *structInfo) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		if f.Type == posType && f.IsExported() {
			si.pos = append(si.pos, index)
			continue
		}
		tag := f.Tag.Get("yaml")
		name, flags, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		drill := f.Tag.Get("drill")
		if name == "" && strings.Contains(","+flags+",", ",inline,") && f.Type.Kind() == reflect.Struct {
			inner := map[string]bool{}
			for k := range omit {
				inner[k] = true
			}
			if list, ok := strings.CutPrefix(drill, "omit="); ok {
				for _, n := range strings.Split(list, ",") {
					inner[strings.TrimSpace(n)] = true
				}
			}
			collect(f.Type, index, inner, si)
			continue
		}
		if name == "" || omit[name] {
			continue
		}
		si.fields = append(si.fields, field{name: name, index: index, required: drill == "required"})
	}
}
