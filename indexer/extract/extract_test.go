package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"
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
	eml := "From: =?UTF-8?Q?Fran=C3=A7oise_Lef=C3=A8vre?= <francoise@example.org>\r\n" +
		"To: bureau@example.org\r\n" +
		"Subject: =?ISO-8859-1?Q?Proc=E8s-verbal?= de =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("l'assemblée générale")) + "?=\r\n" +
		"Date: Mon, 3 Jun 2024 10:00:00 +0200\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" +
		"--XX\r\nContent-Type: multipart/alternative; boundary=\"YY\"\r\n\r\n" +
		"--YY\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap76(base64.StdEncoding.EncodeToString([]byte("Bonjour,\nvoici le "+phrase+" du 3 juin, approuvé par les membres.\n"))) + "\r\n" +
		"--YY\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>Version HTML en double (html-only-marker)</p>\r\n" +
		"--YY--\r\n" +
		"--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Pi=E8ce suppl=E9mentaire : budget pr=E9visionnel de l'ann=E9e, avec une tr=\r\n=E8s longue ligne.\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\n" +
		"Content-Disposition: attachment; filename*=UTF-8''rapport%20financier%20d%C3%A9taill%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"JVBERi0xLjQK\r\n" +
		"--XX\r\nContent-Type: image/png; name=\"=?UTF-8?Q?photo_f=C3=AAte.png?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"iVBORw0KGgo=\r\n" +
		"--XX--\r\n"

	html := `<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Titre de la page</title>` +
		`<meta name="description" content="meta-description-hidden"><style>body { color: red }</style>` +
		`<script>var hidden = "script-content-hidden";</script></head>` +
		`<body><h1>Compte rendu</h1><p>Le ` + phrase + ` est&nbsp;approuvé par les membres.</p>` +
		`<table><tr><td>Recettes</td><td>1&nbsp;250&nbsp;€</td></tr></table><noscript>noscript-hidden</noscript>` +
		`<pre>ligne 1
ligne 2</pre></body></html>`

	return []formatCase{
		{name: "pv.pdf", mime: "application/pdf", data: func(t testing.TB) []byte { return textPDF(t, frenchPages(2), pdfOptions{}) },
			want: []string{"Le " + phrase, "approuvé par les membres présents", "Bilan financier et flux", "Page 2"}, lang: "fr"},
		{name: "pv.docx", mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data: func(t testing.TB) []byte { return docxBytes(t, "") },
			want:    []string{"Le " + phrase + " est approuvé\tpar les membres.\n", "Ligne\nsuivante", "Zone de texte", "Résumé financier", "En-tête de l'association"},
			notWant: []string{"field-code", "Zone de texte\nZone de texte", "\t\t"}, lang: "fr"},
		{name: "budget.xlsx", mime: "", data: xlsxBytes,
			want:    []string{"Budget 2024\n", "Le " + phrase + "\n", "Montant\t1250.5\n", "Dons et legs\t300"},
			notWant: []string{"SUM(", "inutilisée"}, lang: ""},
		{name: "diapos.pptx", mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation", data: pptxBytes,
			want: []string{"Première diapositive : le " + phrase + "\nsuite", "Notes de l'orateur", "Deuxième diapositive"}, lang: "fr"},
		{name: "cr.odt", mime: "application/vnd.oasis.opendocument.text", data: odtBytes,
			want:    []string{"Compte rendu\n", "Le " + phrase + " est approuvé.\n", "Trois   espaces\ttabulation\nnouvelle ligne"},
			notWant: []string{"supprimé"}, lang: "fr"},
		{name: "comptes.ods", mime: "application/octet-stream", data: odsBytes,
			want: []string{"Comptes\n", "Le " + phrase + "\t42"}},
		{name: "diapos.odp", mime: "application/vnd.oasis.opendocument.presentation", data: odpBytes,
			want: []string{"Première diapositive : le " + phrase + "\n", "Deuxième diapositive"}},
		{name: "page.html", mime: "text/html", data: func(t testing.TB) []byte { return cp1252(t, html) },
			want:    []string{"Titre de la page\n", "Compte rendu\n", "Le " + phrase + " est approuvé par les membres.", "Recettes 1 250 €", "ligne 1\nligne 2"},
			notWant: []string{"hidden", "color", "<"}, lang: "fr"},
		{name: "notes.md", mime: "text/markdown", data: func(testing.TB) []byte {
			return []byte("# Procès-verbal\n\nLe " + phrase + " est **approuvé** par les membres.\n\n- point un\n- point deux\n")
		}, want: []string{"# Procès-verbal\n", "Le " + phrase + " est **approuvé**"}, lang: "fr"},
		{name: "windows.txt", mime: "text/plain", data: func(t testing.TB) []byte {
			return cp1252(t, "Le "+phrase+" est approuvé par les membres.\r\nŒuvre sociale : 12 € « très » bien.\r\n")
		}, want: []string{"Le " + phrase + " est approuvé par les membres.\nŒuvre sociale : 12 € « très » bien.\n"}, notWant: []string{"\r"}, lang: "fr"},
		{name: "mixed.txt", mime: "text/plain; charset=us-ascii", data: func(t testing.TB) []byte {
			// Valid UTF-8 for longer than the charset sniffing window, then
			// a Windows-1252 byte: it must still decode, not vanish.
			return append([]byte(strings.Repeat("Le "+phrase+" est approuvé.\n", 2000)), cp1252(t, "Fin du café.\n")...)
		}, want: []string{"Le " + phrase + " est approuvé.\n", "Fin du café.\n"}, notWant: []string{"\uFFFD"}, lang: "fr"},
		{name: "utf16.txt", mime: "", data: func(t testing.TB) []byte {
			b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("Le " + phrase + " est approuvé par les membres."))
			return b
		}, want: []string{"Le " + phrase + " est approuvé"}, lang: "fr"},
		{name: "adherents.csv", mime: "text/csv", data: func(t testing.TB) []byte {
			return cp1252(t, "Nom;Commentaire;Montant\r\nDupont;\"Le "+phrase+", \"\"adopté\"\"; à l'unanimité\";12,50\r\nMartin;\"sur\r\ndeux lignes\";8\r\n")
		}, want: []string{"Nom\tCommentaire\tMontant\n", "Dupont\tLe " + phrase + ", \"adopté\"; à l'unanimité\t12,50\n", "Martin\tsur\ndeux lignes\t8"}},
		{name: "message.eml", mime: "message/rfc822", data: func(testing.TB) []byte { return []byte(eml) },
			want: []string{"From: Françoise Lefèvre <francoise@example.org>", "Subject: Procès-verbal de l'assemblée générale\n",
				"voici le " + phrase + " du 3 juin", "budget prévisionnel de l'année, avec une très longue ligne",
				"Attachment: rapport financier détaillé.pdf", "Attachment: photo fête.png"},
			notWant: []string{"html-only-marker", "JVBER"}, lang: "fr"},
		{name: "lettre.rtf", mime: "application/rtf", data: func(testing.TB) []byte {
			return []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times New Roman;}}{\info{\title rtf-title-hidden}}` +
				`{\*\generator Msftedit 5.41;}\viewkind4\uc1\pard\f0\fs24 Le proc\'e8s-verbal de l'assembl\'e9e g\'e9n\'e9rale est approuv\'e9 par les membres.\par` + "\r\n" +
				`Fran\u231?ais na\u239?f, \ldblquote citation\rdblquote\tab fin\par}`)
		}, want: []string{"Le " + phrase + " est approuvé par les membres.\n", "Français naïf, “citation”\tfin"},
			notWant: []string{"Times", "hidden", "Msftedit", "\\"}, lang: "fr"},
	}
}

// wrap76 folds base64 into mail-sized lines.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
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
	blankPDF := textPDF(t, [][]string{{}}, pdfOptions{})
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"blank.txt", []byte(" \n\t\r\n")},
		{"blank.pdf", blankPDF},
		{"blank.docx", zipBytes(t, []zipEntry{{name: "word/document.xml", body: xmlHeader + `<w:document ` + wNS + `><w:body><w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p></w:body></w:document>`}})},
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
