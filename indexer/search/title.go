package search

import (
	"path"
	"strings"
)

// DistinctTitle returns a document's title when it says more than its
// file name: empty when it has none or when it is the name, with or
// without its extension, case and accents aside.
func DistinctTitle(title, name string) string {
	t := foldString(strings.Join(strings.Fields(title), " "))
	n := foldString(strings.Join(strings.Fields(name), " "))
	if t == "" || t == n || t == strings.TrimSuffix(n, path.Ext(n)) {
		return ""
	}
	return title
}
