package extract

// The tests' documents come from package testdocs, which generates them
// byte by byte: no fixture is downloaded or checked in.

import (
	"os"
	"path/filepath"
	"testing"

	"notreasso/indexer/extract/testdocs"
)

// phrase is what every generated document must be found by.
const phrase = testdocs.Phrase

// must fails the test when a generator fails: must(t)(testdocs.DOCX(phrase)).
func must(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// writeFile writes a generated document into the test's temp dir.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
