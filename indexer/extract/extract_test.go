package extract

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"

	"notreasso/indexer/extract/testdocs"
)

// workerEnv makes the test binary act as the extraction worker, so that
// RunIsolated is tested against a real child process.
const workerEnv = "NOTREASSO_EXTRACT_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		// argv: test-binary extract --mime ... PATH
		os.Exit(WorkerMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Setenv(workerEnv, "1") // inherited by the workers only: this process has decided
	os.Exit(m.Run())
}

// runWorker extracts a file through RunIsolated with the test binary as
// the worker.
func runWorker(t testing.TB, path, mime string, lim Limits) (string, Result, time.Duration) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	res, err := RunIsolated(context.Background(), exe, []string{"extract"}, path, mime, path, &out, lim)
	if err != nil {
		t.Fatalf("RunIsolated: %v (result %+v)", err, res)
	}
	return out.String(), res, time.Since(start)
}

// formatCase is a generated document and what its text must contain.
type formatCase struct {
	name    string // file name; its extension matters when mime is empty
	mime    string
	data    func(t testing.TB) []byte
	want    []string // substrings of the text, in this order
	notWant []string // must not appear (hidden text, markup, duplicates)
	lang    string
}

func formatCases() []formatCase {
	return []formatCase{
		{name: "pv.pdf", mime: "application/pdf", data: func(t testing.TB) []byte {
			return must(t)(testdocs.PDFPages(testdocs.FrenchPages(2), testdocs.PDFOptions{}))
		},
			want: []string{"Le " + phrase, "approuvé par les membres présents", "Bilan financier et flux", "Page 2"}, lang: "fr"},
		{name: "pv.docx", mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data: func(t testing.TB) []byte { return must(t)(testdocs.DOCX(phrase)) },
			want:    []string{"Le " + phrase + " est approuvé\tpar les membres.\n", "Ligne\nsuivante", "Zone de texte", "Résumé financier", "En-tête de l'association"},
			notWant: []string{"field-code", "Zone de texte\nZone de texte", "\t\t"}, lang: "fr"},
		{name: "budget.xlsx", mime: "", data: func(t testing.TB) []byte { return must(t)(testdocs.XLSX(phrase)) },
			want:    []string{"Budget 2024\n", "Le " + phrase + "\n", "Montant\t1250.5\n", "Dons et legs\t300"},
			notWant: []string{"SUM(", "inutilisée"}, lang: ""},
		{name: "diapos.pptx", mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation", data: func(t testing.TB) []byte { return must(t)(testdocs.PPTX(phrase)) },
			want: []string{"Première diapositive : le " + phrase + "\nsuite", "Notes de l'orateur", "Deuxième diapositive"}, lang: "fr"},
		{name: "cr.odt", mime: "application/vnd.oasis.opendocument.text", data: func(t testing.TB) []byte { return must(t)(testdocs.ODT(phrase)) },
			want:    []string{"Compte rendu\n", "Le " + phrase + " est approuvé.\n", "Trois   espaces\ttabulation\nnouvelle ligne"},
			notWant: []string{"supprimé"}, lang: "fr"},
		{name: "comptes.ods", mime: "application/octet-stream", data: func(t testing.TB) []byte { return must(t)(testdocs.ODS(phrase)) },
			want: []string{"Comptes\n", "Le " + phrase + "\t42"}},
		{name: "diapos.odp", mime: "application/vnd.oasis.opendocument.presentation", data: func(t testing.TB) []byte { return must(t)(testdocs.ODP(phrase)) },
			want: []string{"Première diapositive : le " + phrase + "\n", "Deuxième diapositive"}},
		{name: "page.html", mime: "text/html", data: func(t testing.TB) []byte { return must(t)(testdocs.HTML(phrase)) },
			want:    []string{"Titre de la page\n", "Compte rendu\n", "Le " + phrase + " est approuvé par les membres.", "Recettes 1 250 €", "ligne 1\nligne 2"},
			notWant: []string{"hidden", "color", "<"}, lang: "fr"},
		{name: "notes.md", mime: "text/markdown", data: func(testing.TB) []byte { return testdocs.Markdown(phrase) },
			want: []string{"# Procès-verbal\n", "Le " + phrase + " est **approuvé**"}, lang: "fr"},
		{name: "windows.txt", mime: "text/plain", data: func(t testing.TB) []byte { return must(t)(testdocs.TextCP1252(phrase)) },
			want: []string{"Le " + phrase + " est approuvé par les membres.\nŒuvre sociale : 12 € « très » bien.\n"}, notWant: []string{"\r"}, lang: "fr"},
		{name: "mixed.txt", mime: "text/plain; charset=us-ascii", data: func(t testing.TB) []byte {
			// Valid UTF-8 for longer than the charset sniffing window, then
			// a Windows-1252 byte: it must still decode, not vanish.
			return append([]byte(strings.Repeat("Le "+phrase+" est approuvé.\n", 2000)), must(t)(testdocs.CP1252("Fin du café.\n"))...)
		}, want: []string{"Le " + phrase + " est approuvé.\n", "Fin du café.\n"}, notWant: []string{"\uFFFD"}, lang: "fr"},
		{name: "utf16.txt", mime: "", data: func(t testing.TB) []byte {
			b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("Le " + phrase + " est approuvé par les membres."))
			return b
		}, want: []string{"Le " + phrase + " est approuvé"}, lang: "fr"},
		{name: "adherents.csv", mime: "text/csv", data: func(t testing.TB) []byte { return must(t)(testdocs.CSV(phrase)) },
			want: []string{"Nom\tCommentaire\tMontant\n", "Dupont\tLe " + phrase + ", \"adopté\"; à l'unanimité\t12,50\n", "Martin\tsur\ndeux lignes\t8"}},
		{name: "message.eml", mime: "message/rfc822", data: func(testing.TB) []byte { return testdocs.EML(phrase) },
			want: []string{"From: Françoise Lefèvre <francoise@example.org>", "Subject: Procès-verbal de l'assemblée générale\n",
				"voici le " + phrase + " du 3 juin", "budget prévisionnel de l'année, avec une très longue ligne",
				"Attachment: rapport financier détaillé.pdf", "Attachment: photo fête.png"},
			notWant: []string{"html-only-marker", "JVBER"}, lang: "fr"},
		{name: "lettre.rtf", mime: "application/rtf", data: func(testing.TB) []byte { return testdocs.RTF(phrase) },
			want:    []string{"Le " + phrase + " est approuvé par les membres.\n", "Français naïf, “citation”\tfin"},
			notWant: []string{"Times", "hidden", "Msftedit", "\\"}, lang: "fr"},
	}
}

func checkText(t *testing.T, text string, res Result, tc formatCase) {
	t.Helper()
	if res.Status != StatusOK {
		t.Fatalf("status %q (%s), want ok; text %q", res.Status, res.Reason, text)
	}
	if !strings.Contains(strings.ToLower(text), phrase) {
		t.Errorf("text does not contain %q:\n%s", phrase, text)
	}
	rest := text
	for _, w := range tc.want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("missing (or out of order) %q in:\n%s", w, text)
			continue
		}
		rest = rest[i+len(w):]
	}
	for _, w := range tc.notWant {
		if strings.Contains(text, w) {
			t.Errorf("text contains %q:\n%s", w, text)
		}
	}
	if tc.lang != "" && res.Lang != tc.lang {
		t.Errorf("lang %q, want %q", res.Lang, tc.lang)
	}
}

func TestExtractFormats(t *testing.T) {
	for _, tc := range formatCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			if !Supported(tc.mime, tc.name) {
				t.Fatalf("Supported(%q, %q) = false", tc.mime, tc.name)
			}
			var out bytes.Buffer
			res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), tc.mime, tc.name, &out, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkText(t, out.String(), res, tc)
		})
	}
}

// TestRunIsolatedFormats runs the same documents through the worker
// process, where PDFs go through pdftotext when it is installed.
func TestRunIsolatedFormats(t *testing.T) {
	for _, tc := range formatCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.data(t))
			text, res, _ := runWorker(t, path, tc.mime, Limits{})
			checkText(t, text, res, tc)
			if tc.name == "pv.pdf" {
				t.Logf("PDF extractor in the worker: %s", res.Extractor)
			}
		})
	}
}

func TestUnsupported(t *testing.T) {
	for _, c := range []struct{ mime, name string }{
		{"application/octet-stream", "archive.7z"},
		{"", "noextension"},
		{"application/vnd.ms-excel", "old.xls"},
	} {
		if Supported(c.mime, c.name) {
			t.Errorf("Supported(%q, %q) = true", c.mime, c.name)
		}
		res, err := Extract(context.Background(), strings.NewReader("x"), 1, c.mime, c.name, &bytes.Buffer{}, Limits{})
		if err != nil || res.Status != StatusUnsupported {
			t.Errorf("Extract(%q, %q) = %+v, %v; want unsupported", c.mime, c.name, res, err)
		}
	}
	// Windows uploads CSV as vnd.ms-excel: the extension decides.
	if !Supported("application/vnd.ms-excel", "adherents.csv") {
		t.Error("a .csv sent as application/vnd.ms-excel should be supported")
	}
}

func TestEmptyDocument(t *testing.T) {
	blankPDF := must(t)(testdocs.PDFPages([][]string{{}}, testdocs.PDFOptions{}))
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"blank.txt", []byte(" \n\t\r\n")},
		{"blank.pdf", blankPDF},
		{"blank.docx", must(t)(testdocs.Zip(testdocs.ZipEntry{Name: "word/document.xml", Body: testdocs.XMLHeader + `<w:document ` + testdocs.WordNS + `><w:body><w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p></w:body></w:document>`}))},
	} {
		res, err := Extract(context.Background(), bytes.NewReader(c.data), int64(len(c.data)), "", c.name, &bytes.Buffer{}, Limits{})
		if err != nil || res.Status != StatusEmpty {
			t.Errorf("%s: %+v, %v; want empty", c.name, res, err)
		}
	}
}

func TestDetectLang(t *testing.T) {
	for _, c := range []struct{ sample, want string }{
		{"Le procès-verbal de l'assemblée générale est approuvé par les membres du bureau.", "fr"},
		{"The minutes of the general meeting were approved by the members of the board.", "en"},
		{"Budget 2024 : 1 250 €", ""},
		{"", ""},
	} {
		if got := DetectLang(c.sample); got != c.want {
			t.Errorf("DetectLang(%q) = %q, want %q", c.sample, got, c.want)
		}
	}
}

func BenchmarkDetectLang(b *testing.B) {
	sample := strings.Repeat("Le conseil d'administration de l'Association s'est réuni le 12 mars pour voter le budget prévisionnel. ", 160)[:langSampleBytes]
	b.SetBytes(int64(len(sample)))
	for b.Loop() {
		if DetectLang(sample) != "fr" {
			b.Fatal("not French")
		}
	}
}
