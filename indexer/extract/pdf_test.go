package extract

import (
	"bytes"
	"context"
	"notreasso/internal/testutil/tier"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/unicode/norm"

	"notreasso/indexer/extract/testdocs"
)

// comparePDFsEnv names extra PDFs (a glob, or several separated by ':')
// for TestPDFEnginesAgree and BenchmarkExtractPDF, so the engines can be
// compared on real documents without checking them in.
const comparePDFsEnv = "EXTRACT_COMPARE_PDFS"

// pdfWithEngine extracts a PDF file in process with one engine: the Go
// parser when goEngine, else pdftotext (which needs the file path).
func pdfWithEngine(t testing.TB, path string, goEngine bool) (string, Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	var out bytes.Buffer
	res, err := Extract(context.Background(), f, st.Size(), "application/pdf", path, &out, Limits{NoExternalTools: goEngine, MaxTextBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

// wordCounts splits NFKC-normalised, lower-cased text into words.
func wordCounts(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(norm.NFKC.String(text)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		counts[w]++
	}
	return counts
}

// wordOverlap compares the words of a candidate text with a reference:
// recall is the share of the reference's word occurrences also in the
// candidate (what a search would still find), precision the share of the
// candidate's that are in the reference (what it adds), vocabulary the
// Jaccard index of the two sets of distinct words.
func wordOverlap(candidate, reference map[string]int) (recall, precision, vocabulary float64) {
	var shared, totalCand, totalRef, inter int
	union := len(reference)
	for w, c := range candidate {
		totalCand += c
		if r, ok := reference[w]; ok {
			shared += min(c, r)
			inter++
		} else {
			union++
		}
	}
	for _, r := range reference {
		totalRef += r
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	return ratio(shared, totalRef), ratio(shared, totalCand), ratio(inter, union)
}

// comparisonPDFs writes the generated test PDFs and adds those named by
// EXTRACT_COMPARE_PDFS; generated reports which are ours.
func comparisonPDFs(t testing.TB) (paths []string, generated map[string]bool) {
	generated = map[string]bool{}
	for name, data := range map[string][]byte{
		"one-page.pdf":        must(t)(testdocs.PDFPages(testdocs.FrenchPages(1), testdocs.PDFOptions{})),
		"ten-pages-flate.pdf": must(t)(testdocs.PDFPages(testdocs.FrenchPages(10), testdocs.PDFOptions{Compressed: true})),
		"banner.pdf":          must(t)(testdocs.BannerPDF(520, 60, "Le "+phrase)),
	} {
		p := writeFile(t, name, data)
		paths = append(paths, p)
		generated[p] = true
	}
	for _, pattern := range filepath.SplitList(os.Getenv(comparePDFsEnv)) {
		matches, _ := filepath.Glob(pattern)
		paths = append(paths, matches...)
	}
	return paths, generated
}

// TestPDFEnginesAgree compares ledongthuc/pdf (with this package's text
// positioning) and pdftotext by word overlap. The figures in
// docs/extraction.md come from:
//
//	EXTRACT_COMPARE_PDFS='/usr/share/doc/*/*.pdf:/root/go/pkg/mod/github.com/xrash/smetrics@*/docs/*.pdf:/root/go/pkg/mod/github.com/ledongthuc/pdf@*/examples/read_plain_text/*.pdf' \
//	  go test -run TestPDFEnginesAgree -v ./indexer/extract/
func TestPDFEnginesAgree(t *testing.T) {
	tier.Tool(t, "pdftotext", "poppler-utils")
	paths, generated := comparisonPDFs(t)
	t.Logf("%-28s %9s %9s %7s %9s %6s  %s", "file", "words go", "poppler", "recall", "precision", "vocab", "go result")
	for _, path := range paths {
		goText, goRes := pdfWithEngine(t, path, true)
		popText, popRes := pdfWithEngine(t, path, false)
		if popRes.Extractor != "pdf/pdftotext" || goRes.Extractor != "pdf/go" {
			t.Fatalf("engines used: %q and %q", goRes.Extractor, popRes.Extractor)
		}
		goWords, popWords := wordCounts(goText), wordCounts(popText)
		recall, precision, vocab := wordOverlap(goWords, popWords)
		var nGo, nPop int
		for _, c := range goWords {
			nGo += c
		}
		for _, c := range popWords {
			nPop += c
		}
		t.Logf("%-28s %9d %9d %7.3f %9.3f %6.3f  %s %s", filepath.Base(path), nGo, nPop, recall, precision, vocab, goRes.Status, goRes.Reason)
		if generated[path] && (recall < 0.99 || precision < 0.99) {
			t.Errorf("%s: recall %.3f, precision %.3f, want ≥ 0.99\ngo:      %q\npoppler: %q", filepath.Base(path), recall, precision, goText, popText)
		}
	}
}

// BenchmarkExtractPDF measures pages per second of both engines on a
// generated 50-page PDF and on the files named by EXTRACT_COMPARE_PDFS.
func BenchmarkExtractPDF(b *testing.B) {
	paths := []string{writeFile(b, "fifty-pages.pdf", must(b)(testdocs.PDFPages(testdocs.FrenchPages(50), testdocs.PDFOptions{Compressed: true})))}
	for _, pattern := range filepath.SplitList(os.Getenv(comparePDFsEnv)) {
		matches, _ := filepath.Glob(pattern)
		paths = append(paths, matches...)
	}
	for _, path := range paths {
		f, doc, err := pdf.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		pages := doc.NumPage()
		f.Close()
		for _, engine := range []string{"go", "pdftotext"} {
			b.Run(filepath.Base(path)+"/"+engine, func(b *testing.B) {
				if engine == "pdftotext" && pdftotextPath() == "" {
					b.Fatal("pdftotext not installed (Debian: poppler-utils, which .ci/run installs)")
				}
				for b.Loop() {
					pdfWithEngine(b, path, engine == "go")
				}
				b.ReportMetric(float64(pages*b.N)/b.Elapsed().Seconds(), "pages/s")
			})
		}
	}
}

func TestPDFGoEngineLayout(t *testing.T) {
	data := must(t)(testdocs.LayoutPDF())
	var out bytes.Buffer
	res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), "application/pdf", "layout.pdf", &out, Limits{})
	if err != nil || res.Status != StatusOK || res.Extractor != "pdf/go" {
		t.Fatalf("%+v, %v", res, err)
	}
	if want := "Le procès-verbal de\nl'assemblée générale\nTexte du formulaire\n"; out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
	if pdftotextPath() == "" {
		return
	}
	popText, _ := pdfWithEngine(t, writeFile(t, "layout.pdf", data), false)
	if recall, precision, _ := wordOverlap(wordCounts(out.String()), wordCounts(popText)); recall != 1 || precision != 1 {
		t.Errorf("pdftotext disagrees: %q", popText)
	}
}
