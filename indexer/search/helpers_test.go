package search

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memTexts is a TextSource over a map, recording which ids were read.
type memTexts struct {
	mu    sync.Mutex
	texts map[string]string
	reads []string
}

func newMemTexts() *memTexts { return &memTexts{texts: map[string]string{}} }

func (m *memTexts) set(id, text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.texts[id] = text
}

func (m *memTexts) source(_ context.Context, id string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads = append(m.reads, id)
	t, ok := m.texts[id]
	if !ok {
		return nil, fmt.Errorf("text of %s: %w", id, fs.ErrNotExist)
	}
	return io.NopCloser(strings.NewReader(t)), nil
}

func (m *memTexts) readIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.reads)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// openTest opens an index in a temporary directory, indexes docs and
// registers their contents as texts.
func openTest(t testing.TB, docs ...Document) (*Index, *memTexts) {
	t.Helper()
	texts := newMemTexts()
	ix, err := Open(t.TempDir(), testLogger(t), WithTextSource(texts.source))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	for _, d := range docs {
		texts.set(d.ID, d.Content)
	}
	if err := ix.Apply(context.Background(), docs, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return ix, texts
}

var all = Access{All: true}

func search(t testing.TB, ix *Index, q Query) *Result {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

// ids returns the hit ids, sorted.
func ids(r *Result) []string {
	out := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

// hitIDs returns the hit ids in result order.
func hitIDs(r *Result) []string {
	out := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a small association repository:
//
//	/Administratif (fAdm)        statuts.pdf (d-statuts), PV AG 2023.docx (d-pv)
//	/Administratif/Archives (fArc) ancien-reglement.odt (d-reglement)
//	/Comptabilité (fCompta)      Rapport financier 2024.xlsx (d-finance)
//	/International (fIntl)       minutes.pdf (d-minutes, English)
//	/lisez-moi.txt (d-root, at the top level)
func fixture() []Document {
	return []Document{
		{
			ID: "d-statuts", Name: "statuts.pdf", Path: "/Administratif/statuts.pdf",
			Ancestors: []string{"root", "fAdm"}, Tags: []string{"Juridique", "officiel"},
			Mime: "application/pdf", Author: "amarie", Modified: day("2021-03-15"), Size: 120_000,
			Lang:    "fr",
			Content: "Statut de l'association Les Amis du Quartier. Article 1 : l'association a pour objet l'animation du quartier. Article 2 : le siège social est fixé à la mairie.",
		},
		{
			ID: "d-pv", Name: "PV AG 2023.docx", Path: "/Administratif/PV AG 2023.docx",
			Ancestors: []string{"root", "fAdm"}, Tags: []string{"AG", "officiel"},
			Mime:   "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			Author: "bpaul", Modified: day("2023-06-20"), Size: 45_000, Lang: "fr",
			Content: "Procès-verbal de l'assemblée générale du 20 juin 2023. La réunion s'est tenue à la salle des fêtes. Les comptes sont approuvés à l'unanimité. Le bureau présente les nouveaux statuts.",
		},
		{
			ID: "d-reglement", Name: "ancien-reglement.odt", Path: "/Administratif/Archives/ancien-reglement.odt",
			Ancestors: []string{"root", "fAdm", "fArc"}, Tags: []string{"Juridique"},
			Mime: "application/vnd.oasis.opendocument.text", Author: "amarie",
			Modified: day("2019-01-10"), Size: 30_000,
			Content: "Règlement intérieur. Les cotisations sont dues chaque année avant l'assemblée. Toute réunion du bureau fait l'objet d'un compte rendu.",
		},
		{
			ID: "d-finance", Name: "Rapport financier 2024.xlsx", Path: "/Comptabilité/Rapport financier 2024.xlsx",
			Ancestors: []string{"root", "fCompta"}, Tags: []string{"Finances"},
			Mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Author: "cjean",
			Modified: day("2024-02-01"), Size: 80_000, Lang: "fr",
			Content: "Budget prévisionnel et comptes de résultat. Les dépenses de l'association ont augmenté. Subventions de la mairie.",
		},
		{
			ID: "d-minutes", Name: "minutes.pdf", Path: "/International/minutes.pdf",
			Ancestors: []string{"root", "fIntl"}, Tags: []string{"AG"},
			Mime: "application/pdf", Author: "dkate", Modified: day("2024-09-12"), Size: 10_000, Lang: "en",
			Content: "Minutes of the partner meetings. The association's budget was discussed. Next meeting in Berlin.",
		},
		{
			ID: "d-root", Name: "lisez-moi.txt", Path: "/lisez-moi.txt",
			Ancestors: []string{"root"}, Mime: "text/plain", Author: "amarie",
			Modified: day("2022-05-05"), Size: 500, Lang: "fr",
			Content: "Bienvenue dans le dépôt de documents. Rangez les statuts dans Administratif.",
		},
	}
}

// testAnalyzers returns the analyzers of the index mapping, as an open
// index resolves them.
func testAnalyzers(t testing.TB) *analyzers {
	t.Helper()
	m, err := buildMapping()
	if err != nil {
		t.Fatal(err)
	}
	an, err := loadAnalyzers(m)
	if err != nil {
		t.Fatal(err)
	}
	return an
}
