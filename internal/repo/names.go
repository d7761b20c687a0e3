package repo

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes is the longest name accepted, as on most filesystems.
const MaxNameBytes = 255

// CleanName normalises a file or folder name to Unicode NFC (macOS sends NFD)
// and rejects names the tree cannot hold.
func CleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	}
	name = norm.NFC.String(name)
	switch {
	case name == "":
		return "", fmt.Errorf("%w: empty name", ErrInvalidName)
	case name == "." || name == "..":
		return "", fmt.Errorf("%w: %q is reserved", ErrInvalidName, name)
	case len(name) > MaxNameBytes:
		return "", fmt.Errorf("%w: name is %d bytes long, the limit is %d", ErrInvalidName, len(name), MaxNameBytes)
	case strings.ContainsRune(name, '/'):
		return "", fmt.Errorf("%w: %q contains a slash", ErrInvalidName, name)
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return "", fmt.Errorf("%w: %q contains a control character", ErrInvalidName, name)
		}
	}
	return name, nil
}

// SplitPath turns "/a/b/c" into cleaned names. Empty segments (leading,
// trailing or double slashes) are ignored; "." and ".." are refused rather
// than interpreted, so a path can never climb out of where it points.
func SplitPath(p string) ([]string, error) {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		name, err := CleanName(seg)
		if err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, nil
}

// JoinPath is the inverse of SplitPath: "/" for the root.
func JoinPath(names []string) string {
	return "/" + strings.Join(names, "/")
}
