package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCheckNewName(t *testing.T) {
	tests := []struct {
		in   string
		rule string // "" when accepted
	}{
		{"Procès-verbal.pdf", ""},
		{"...", RuleTrailing},
		{"rapport.", RuleTrailing},
		{"rapport ", RuleTrailing},
		{" espace au début.txt", ""},
		{"CON", RuleDevice},
		{"con", RuleDevice},
		{"NUL.txt", RuleDevice},
		{"nul.tar.gz", RuleDevice},
		{"Con .txt", RuleDevice},
		{"AUX", RuleDevice},
		{"PRN.doc", RuleDevice},
		{"COM1", RuleDevice},
		{"com9.log", RuleDevice},
		{"LPT1", RuleDevice},
		{"LPT²", RuleDevice},
		{"COM10", ""},
		{"CONSEIL.pdf", ""},
		{"console.txt", ""},
		{"nulle part.txt", ""},
		{"réunion: ordre du jour.txt", RuleCharacter},
		{"a|b", RuleCharacter},
		{"a*b", RuleCharacter},
		{"quoi?.txt", RuleCharacter},
		{"<b>.txt", RuleCharacter},
		{"x>y", RuleCharacter},
		{`dit "oui".txt`, RuleCharacter},
		{`C:\fakepath`, RuleCharacter},
		{"tab\there", RuleControl},
		{"a\x00b", RuleControl},
		{"facture\u202Efdp.exe", RuleInvisible}, // right-to-left override: reads "factureexe.pdf"
		{"a\u202Ab", RuleInvisible},
		{"a\u2066b", RuleInvisible},
		{"a\u200Fb", RuleInvisible},
		{"pay\u200Bpal.pdf", RuleInvisible},
		{"pay\u200Dpal.pdf", RuleInvisible},
		{"\uFEFFbom.txt", RuleInvisible},
		{"mot\u2060joint", RuleInvisible},
		{"tr\u00ADait", RuleInvisible},
		{"famille 👨\u200D👩\u200D👧.jpg", ""}, // an emoji sequence keeps its joiners
		{"می\u200Cخواهم.txt", ""},           // Persian keeps its non-joiner
		{"a/b", RuleSlash},
		{"", RuleEmpty},
		{"..", RuleEmpty},
		{strings.Repeat("é", 128), RuleLength},
	}
	for _, tt := range tests {
		_, err := CheckNewName(tt.in)
		var ne *NameError
		switch {
		case tt.rule == "" && err != nil:
			t.Errorf("CheckNewName(%q) refused: %v", tt.in, err)
		case tt.rule != "" && !errors.As(err, &ne):
			t.Errorf("CheckNewName(%q) = %v, want the %s rule", tt.in, err, tt.rule)
		case tt.rule != "" && (ne.Rule != tt.rule || !errors.Is(err, ErrInvalidName)):
			t.Errorf("CheckNewName(%q): rule %s (%v), want %s", tt.in, ne.Rule, err, tt.rule)
		}
	}
	ne := &NameError{Name: "facture\u202Efdp.exe", Rule: RuleInvisible, Char: '\u202E'}
	if got := ne.Shown(); got != "facture<U+202E>fdp.exe" || strings.ContainsRune(ne.Error(), '\u202E') {
		t.Errorf("shown as %q, error %q: the override must not act in messages", got, ne.Error())
	}
}

// Every way of giving a node a name goes through the rules: upload, new
// folder, rename, move, copy, restore from the trash elsewhere, drop box.
// A name already in the tree from before the rules stays reachable and can
// be moved or copied keeping its name.
func TestNewNamesFollowPortableRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.Tree.Mkdir(ctx, e.member, "/d"); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.member, "/d/Rapport.txt", "r")
	e.put(t, e.member, "/d/École.txt", "é")
	e.put(t, e.member, "/d/Éléments d'intérêt généré.txt", "128 ways to write it: the scan") // past lowerKeys' 64
	src := e.put(t, e.member, "/src.txt", "s")
	if _, err := e.s.Tree.Mkdir(ctx, e.member, "/Dossier"); err != nil {
		t.Fatal(err)
	}
	trashed := e.put(t, e.member, "/jeté.txt", "j")
	if err := e.s.Tree.Delete(ctx, e.member, "/jeté.txt"); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(path string) error{
		"put": func(p string) error {
			_, _, err := e.s.Tree.Put(ctx, e.member, p, strings.NewReader("x"), PutOptions{Size: 1})
			return err
		},
		"mkdir":   func(p string) error { _, err := e.s.Tree.Mkdir(ctx, e.member, p); return err },
		"move":    func(p string) error { _, err := e.s.Tree.Move(ctx, e.member, "/src.txt", p, false); return err },
		"copy":    func(p string) error { _, err := e.s.Tree.Copy(ctx, e.member, "/src.txt", p, false); return err },
		"restore": func(p string) error { _, err := e.s.History.Restore(ctx, e.member, trashed.ID, p); return err },
	}
	bad := map[string]string{"/d/NUL.txt": RuleDevice, "/d/a:b.txt": RuleCharacter, "/d/fin.": RuleTrailing,
		"/d/facture\u202Efdp.exe": RuleInvisible, "/d/rapport.txt": RuleCase, "/d/RAPPORT.TXT": RuleCase, "/dossier": RuleCase,
		"/d/école.txt": RuleCase, "/d/ÉCOLE.TXT": RuleCase, "/d/éléments d'intérêt généré.txt": RuleCase, "/d/ÉLÉMENTS D'INTÉRÊT GÉNÉRÉ.txt": RuleCase}
	for op, do := range ops {
		for p, rule := range bad {
			err := do(p)
			var ne *NameError
			if !errors.As(err, &ne) || ne.Rule != rule {
				t.Errorf("%s %q: %v, want the %s rule", op, p, err, rule)
				continue
			}
			if rule == RuleCase && ne.Other == "" {
				t.Errorf("%s %q: the sibling, readable by the member, is not named: %v", op, p, err)
			}
		}
	}
	if _, err := e.s.Tree.Stat(ctx, e.member, "/src.txt"); err != nil || src.ID == 0 {
		t.Fatalf("source moved by a refused move: %v", err)
	}
	// Renaming a file to another case of its own name is fine.
	if _, err := e.s.Tree.Move(ctx, e.member, "/d/Rapport.txt", "/d/rapport.txt", false); err != nil {
		t.Errorf("case-only rename of a file: %v", err)
	}
	// A name from before the rules: reachable, overwritable, movable and
	// copyable under its own name, not creatable again.
	if _, err := e.s.db.W.Exec(`UPDATE nodes SET name = 'CON' WHERE id = ?`, src.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.Tree.Put(ctx, e.member, "/CON", strings.NewReader("v2"), PutOptions{Size: 2}); err != nil {
		t.Errorf("overwrite of an old name: %v", err)
	}
	if _, err := e.s.Tree.Move(ctx, e.member, "/CON", "/Dossier/CON", false); err != nil {
		t.Errorf("move keeping an old name: %v", err)
	}
	if _, err := e.s.Tree.Copy(ctx, e.member, "/Dossier/CON", "/CON", false); err != nil {
		t.Errorf("copy keeping an old name: %v", err)
	}
	if _, err := e.s.Tree.Move(ctx, e.member, "/CON", "/Dossier/AUX", false); !errors.Is(err, ErrInvalidName) {
		t.Errorf("rename to another reserved name: %v", err)
	}
}

func TestLowerKeys(t *testing.T) {
	got := lowerKeys("Été 2026")
	slices.Sort(got)
	if want := []string{"ÉtÉ 2026", "Été 2026", "étÉ 2026", "été 2026"}; !slices.Equal(got, want) {
		t.Errorf("lowerKeys(Été 2026) = %q, want %q", got, want)
	}
	if got := lowerKeys("ÉÉÉÉÉÉÉ"); got != nil {
		t.Errorf("lowerKeys of 128 ways = %d keys, want nil (scan)", len(got))
	}
}

func TestPortableNamePassesTheRules(t *testing.T) {
	for in, want := range map[string]string{
		"CON": "_CON", "nul.txt": "_nul.txt", "a:b.txt": "a_b.txt", "fin. . ": "fin", "...": "_",
		"facture\u202Efdp.exe": "facturefdp.exe", "ok.txt": "ok.txt", "tab\there": "tab_here", `C:\x`: "C__x",
		"famille 👨\u200D👩.jpg": "famille 👨\u200D👩.jpg",
	} {
		got := PortableName(in)
		if got != want {
			t.Errorf("PortableName(%q) = %q, want %q", in, got, want)
		}
		if _, err := CheckNewName(got); err != nil {
			t.Errorf("PortableName(%q) = %q, refused: %v", in, got, err)
		}
	}
}

// A drop-box link refuses unportable names too, and never stores a case
// twin: it picks a free name, as for a name taken exactly.
func TestDropBoxNames(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.Tree.MkdirAll(ctx, e.admin, "/Dépôt"); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.admin, "/Dépôt/Reçu.pdf", "premier")
	_, token, err := e.s.Shares.CreateShare(ctx, e.admin, "/Dépôt", ShareOptions{Kind: ShareDropBox})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := e.s.Shares.ShareAccess(ctx, token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Shares.ShareDrop(ctx, p, "NUL.pdf", strings.NewReader("x"), 1); !errors.Is(err, ErrInvalidName) {
		t.Errorf("drop of NUL.pdf: %v", err)
	}
	if err := e.s.Shares.ShareDrop(ctx, p, "reçu.pdf", strings.NewReader("second"), 6); err != nil {
		t.Fatalf("drop of a case twin: %v", err)
	}
	_, kids, err := e.s.Tree.List(ctx, e.admin, "/Dépôt")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range kids {
		names = append(names, k.Name)
	}
	if len(names) != 2 || names[0] != "Reçu.pdf" || names[1] != "reçu (2).pdf" {
		t.Errorf("drop box holds %q, want Reçu.pdf and reçu (2).pdf", names)
	}
}

// The case-twin check reads the siblings whose name could match: in a
// folder of 10 000 files, creating one more stays a matter of
// milliseconds.
func BenchmarkMkdirBeside10000Files(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	dir, err := e.s.Tree.Mkdir(ctx, e.admin, "/Grand")
	if err != nil {
		b.Fatal(err)
	}
	tx, _ := e.s.db.W.Begin()
	for i := range 10000 {
		if _, err := tx.Exec(`INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at) VALUES (?, ?, 'file', 0, 0, 0)`,
			dir.ID, fmt.Sprintf("Scan_%05d.pdf", i)); err != nil {
			b.Fatal(err)
		}
	}
	tx.Commit()
	i := 0
	for b.Loop() {
		i++
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, fmt.Sprintf("/Grand/scan_%05d_dossier", i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.s.Tree.Mkdir(ctx, e.admin, "/Grand/SCAN_00042.PDF"); !errors.Is(err, ErrInvalidName) {
		b.Errorf("case twin among 10 000 accepted: %v", err)
	}
}
