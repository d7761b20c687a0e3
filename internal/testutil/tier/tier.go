// Package tier says which tests run where. `go test -short ./...` is the
// hermetic tier: no external program, server or browser, under a minute on
// a fresh clone. `make test` is the full gate: every test runs, and a
// missing tool is a failure, never a silent skip.
package tier

import (
	"os/exec"
	"testing"
)

// External marks a test that starts the real binary, a server (versitygw,
// PostgreSQL…), a browser or another external program: it is skipped under
// -short and runs in make test.
func External(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s: runs in make test, skipped under -short", what)
	}
}

// Tool returns the path of an external program a test needs. Under -short
// the test is skipped; otherwise a missing program fails it, naming the
// Debian package that provides it (.ci/run installs them).
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	External(t, name)
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package %s; .ci/run installs it): %v", name, debianPackage, err)
	}
	return p
}
