package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const exampleFile = "../../deploy/notreasso.example.yaml"

// The example configuration must load, hold exactly the defaults (it is
// documentation of them), and name every setting: adding a setting without
// documenting it there fails here.
func TestExampleConfiguration(t *testing.T) {
	c, err := Load(nil, []string{"NOTREASSO_CONFIG=" + exampleFile})
	if err != nil {
		t.Fatalf("%s does not load: %v", exampleFile, err)
	}
	for key, where := range c.Origins {
		if key != "data" && strings.HasPrefix(key, "mail.") {
			t.Errorf("%s locked by %s: the example's values are the defaults", key, where)
		}
	}
	c.Origins = nil
	want := Default()
	want.Data = "/var/lib/notreasso" // the one value chosen for a server
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example values differ from the defaults:\n got %+v\nwant %+v", c, want)
	}
	b, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	flatten("", doc, &got)
	slices.Sort(got)
	keys := Keys()
	for _, k := range keys {
		if !slices.Contains(got, k) {
			t.Errorf("setting %s (%s) is missing from %s", k, EnvName(k), filepath.Base(exampleFile))
		}
	}
	for _, k := range got {
		if !slices.Contains(keys, k) {
			t.Errorf("%s sets %s, which is not a setting", filepath.Base(exampleFile), k)
		}
	}
	// Every setting has a comment right above it.
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasSuffix(trimmed, ":") {
			continue
		}
		if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			t.Errorf("line %d (%s) has no comment above it", i+1, trimmed)
		}
	}
}

func flatten(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		*out = append(*out, key)
	}
}
