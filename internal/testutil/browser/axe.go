package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/tier"
)

// AxeVersion is the axe-core release the accessibility checks run
// (scripts/tools.sh installs the same one).
const AxeVersion = "4.10.3"

var (
	axeOnce   sync.Once
	axeScript string
	axeErr    error
)

// AxeScript returns axe-core's axe.min.js, installing the npm package into
// <repo>/.tools/axe with Debian's npm the first time (scripts/tools.sh does
// it too). Skipped under -short; without npm, the test fails.
func AxeScript(t testing.TB) string {
	t.Helper()
	tier.Tool(t, "npm", "npm")
	axeOnce.Do(func() { axeScript, axeErr = loadAxe() })
	if axeErr != nil {
		t.Fatalf("axe-core: %v", axeErr)
	}
	return axeScript
}

func loadAxe() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".tools", "axe")
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	stamp := filepath.Join(dir, ".axe-"+AxeVersion)
	if _, err := os.Stat(stamp); err != nil {
		// Installed beside, then renamed: test binaries of several packages
		// may get here at the same time.
		if err := os.MkdirAll(filepath.Join(root, ".tools"), 0o755); err != nil {
			return "", err
		}
		tmp, err := os.MkdirTemp(filepath.Join(root, ".tools"), "axe-install-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", tmp, "axe-core@"+AxeVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm install axe-core@%s: %w\n%s", AxeVersion, err, out)
		}
		os.WriteFile(filepath.Join(tmp, ".axe-"+AxeVersion), nil, 0o644)
		os.RemoveAll(dir + ".old")
		os.Rename(dir, dir+".old")
		if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
			return "", fmt.Errorf("install axe-core into %s: %w", dir, err)
		}
		os.RemoveAll(dir + ".old")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read axe-core: %w", err)
	}
	return string(b), nil
}

// repoRoot is the directory holding go.mod, above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// AxeViolation is one rule a page breaks, as axe-core reports it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var where []string
	for i, n := range v.Nodes {
		if i == 3 {
			where = append(where, fmt.Sprintf("… %d more", len(v.Nodes)-3))
			break
		}
		where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
	}
	return fmt.Sprintf("%s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(where, "\n    "))
}

// Axe runs axe-core on the current page and returns its violations of the
// WCAG 2.1 A and AA rules and best practices, every impact included.
func (b *Browser) Axe(script string) []AxeViolation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](script+"\n;true"))
	}
	if err != nil {
		b.t.Fatalf("inject axe-core: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
		resultTypes: ['violations'],
	}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	return v
}
