package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// SetFileKey sets the setting key (dotted, e.g. "storage.backend") to value
// in the YAML configuration file at path. Only that value's text changes:
// comments, order and layout stay as they are. A missing key is added. The
// file is replaced atomically and keeps its permissions.
func SetFileKey(path, key, value string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("edit config file: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("edit config file: %w", err)
	}
	out, err := setYAMLKey(raw, strings.Split(key, "."), value)
	if err != nil {
		return fmt.Errorf("edit config file %s: %w (set %s: %s by hand)", path, err, key, value)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*")
	if err != nil {
		return fmt.Errorf("edit config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(out)
	if err == nil {
		err = tmp.Chmod(st.Mode().Perm())
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("edit config file %s: %w", path, err)
	}
	return nil
}

// setYAMLKey returns raw with the scalar at keys set to value (a plain word:
// no quoting is needed for the values this is used with).
func setYAMLKey(raw []byte, keys []string, value string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var out []byte
	if len(doc.Content) == 0 { // empty file, or only comments
		out = appendLines(raw, render(keys, value, 0))
	} else {
		node := doc.Content[0]
		for i, k := range keys {
			if node.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%s is not a mapping", strings.Join(keys[:i], "."))
			}
			var val *yaml.Node
			for j := 0; j+1 < len(node.Content); j += 2 {
				if node.Content[j].Value == k {
					val = node.Content[j+1]
				}
			}
			if val == nil {
				if node.Style&yaml.FlowStyle != 0 || len(node.Content) == 0 {
					return nil, fmt.Errorf("%s is written in flow style", strings.Join(keys[:i], "."))
				}
				if i == 0 {
					out = appendLines(raw, render(keys, value, 0))
				} else {
					first := node.Content[0]
					out = insertLines(raw, first.Line, render(keys[i:], value, first.Column-1))
				}
				break
			}
			if i == len(keys)-1 {
				if val.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("%s is not a single value", strings.Join(keys, "."))
				}
				var err error
				if out, err = replaceScalar(raw, val, value); err != nil {
					return nil, err
				}
				break
			}
			node = val
		}
	}
	// Never write a file that does not say what was asked.
	var check yaml.Node
	if err := yaml.Unmarshal(out, &check); err != nil {
		return nil, fmt.Errorf("the edited file does not parse: %w", err)
	}
	var m map[string]any
	if err := check.Decode(&m); err != nil {
		return nil, fmt.Errorf("the edited file does not parse: %w", err)
	}
	var cur any = m
	for _, k := range keys {
		mm, _ := cur.(map[string]any)
		cur = mm[k]
	}
	if fmt.Sprint(cur) != value {
		return nil, fmt.Errorf("the edit did not take (read back %v)", cur)
	}
	return out, nil
}

// render writes keys as nested block mappings ending in value.
func render(keys []string, value string, indent int) []string {
	var lines []string
	for i, k := range keys {
		pad := strings.Repeat(" ", indent+2*i)
		if i == len(keys)-1 {
			lines = append(lines, pad+k+": "+value)
		} else {
			lines = append(lines, pad+k+":")
		}
	}
	return lines
}

func appendLines(raw []byte, lines []string) []byte {
	out := bytes.Clone(raw)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, strings.Join(lines, "\n")+"\n"...)
}

// insertLines inserts lines before line number at (1-based).
func insertLines(raw []byte, at int, lines []string) []byte {
	src := strings.SplitAfter(string(raw), "\n")
	var b strings.Builder
	for i, l := range src {
		if i == at-1 {
			b.WriteString(strings.Join(lines, "\n") + "\n")
		}
		b.WriteString(l)
	}
	return []byte(b.String())
}

// replaceScalar replaces the text of the scalar node n (found by its line
// and column) with value, keeping quotes if it had some.
func replaceScalar(raw []byte, n *yaml.Node, value string) ([]byte, error) {
	lines := strings.SplitAfter(string(raw), "\n")
	if n.Line < 1 || n.Line > len(lines) {
		return nil, fmt.Errorf("cannot locate the value")
	}
	line := []rune(lines[n.Line-1])
	start := n.Column - 1
	if start < 0 || start > len(line) {
		return nil, fmt.Errorf("cannot locate the value")
	}
	var end int
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		q := line[start]
		end = start + 1
		for end < len(line) && line[end] != q {
			end++
		}
		if end == len(line) {
			return nil, fmt.Errorf("the value spans several lines")
		}
		end++
		value = string(q) + value + string(q)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return nil, fmt.Errorf("the value is a block scalar")
	default:
		end = start + len([]rune(n.Value))
		if n.Value == "" && n.Tag == "!!null" { // "backend:" with nothing after it
			end = start
			if start > 0 && line[start-1] != ' ' {
				value = " " + value
			}
		}
		if end > len(line) || string(line[start:end]) != n.Value && n.Value != "" {
			return nil, fmt.Errorf("the value spans several lines")
		}
	}
	lines[n.Line-1] = string(line[:start]) + value + string(line[end:])
	return []byte(strings.Join(lines, "")), nil
}
