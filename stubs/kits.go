package stubs

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed kits/*.yaml
var kitFS embed.FS

// Kits lists the names of the embedded stub kits, sorted.
func Kits() []string {
	entries, _ := kitFS.ReadDir("kits")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// KitSource returns the YAML of an embedded kit, for teams to copy.
func KitSource(name string) ([]byte, error) {
	if !slices.Contains(Kits(), name) {
		return nil, fmt.Errorf("stubs: unknown kit %q; kits are %s", name, strings.Join(Kits(), ", "))
	}
	return kitFS.ReadFile(path.Join("kits", name+".yaml"))
}

// Kit returns a Config serving the named embedded kit on 127.0.0.1:0.
func Kit(name string) (Config, error) {
	data, err := KitSource(name)
	if err != nil {
		return Config{}, err
	}
	f, err := Parse("kits/"+name+".yaml", data)
	if err != nil {
		return Config{}, fmt.Errorf("stubs: kit %s: %w", name, err)
	}
	return Config{Stub: f}, nil
}
