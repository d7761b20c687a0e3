package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/acl"
)

// MaxNameBytes is the longest name accepted, as on most filesystems.
const MaxNameBytes = 255

// Why a name is refused. The web UI translates each rule ("err.name_" +
// rule); docs/webdav.md lists them for people.
const (
	RuleEncoding  = "encoding"  // not UTF-8
	RuleEmpty     = "empty"     // "", "." or ".."
	RuleLength    = "length"    // over MaxNameBytes
	RuleSlash     = "slash"     // a "/"
	RuleControl   = "control"   // a control character (tab, newline, NUL…)
	RuleTrailing  = "trailing"  // ends with a dot or a space: Windows drops them
	RuleDevice    = "device"    // CON, PRN, AUX, NUL, COM1…9, LPT1…9, even with an extension
	RuleCharacter = "character" // : | * ? < > " \ — Windows refuses them, macOS shows ":" as "/"
	RuleInvisible = "invisible" // direction overrides, zero-width characters: they disguise a name
	RuleCase      = "case"      // differs only by case from a sibling: one file on Windows and macOS
)

// NameError is a name refused, and by which rule. It wraps ErrInvalidName.
type NameError struct {
	Name  string
	Rule  string
	Char  rune   // RuleCharacter, RuleInvisible, RuleControl: the culprit
	Other string // RuleCase: the sibling's name ("" if the caller may not read it)
}

func (e *NameError) Unwrap() error { return ErrInvalidName }

func (e *NameError) Error() string {
	var why string
	switch e.Rule {
	case RuleEncoding:
		why = "is not valid UTF-8"
	case RuleEmpty:
		why = "is empty or reserved"
	case RuleLength:
		why = fmt.Sprintf("is %d bytes long, the limit is %d", len(e.Name), MaxNameBytes)
	case RuleSlash:
		why = "contains a slash"
	case RuleControl:
		why = "contains a control character"
	case RuleTrailing:
		why = "ends with a dot or a space, which Windows drops"
	case RuleDevice:
		why = "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1 to COM9, LPT1 to LPT9), even with an extension"
	case RuleCharacter:
		why = fmt.Sprintf(`contains %q, which Windows or macOS cannot show in a name (: | * ? < > " \)`, e.Char)
	case RuleInvisible:
		why = fmt.Sprintf("contains an invisible or direction-changing character (%U), which disguises a name", e.Char)
	case RuleCase:
		if e.Other != "" {
			why = fmt.Sprintf("differs only by case from %q: Windows and macOS would see one file", e.Other)
		} else {
			why = "differs only by case from a name already in this folder: Windows and macOS would see one file"
		}
	default:
		why = "is not accepted"
	}
	return fmt.Sprintf("%v: %q %s", ErrInvalidName, e.Name, why)
}

// Shown is the name fit to show in a message: invisible, direction-changing
// and control characters appear as their code (<U+202E>) instead of acting.
func (e *NameError) Shown() string { return shown(e.Name) }

// Culprit is the character a rule refused, fit to show: itself if visible,
// else its code.
func (e *NameError) Culprit() string {
	if e.Char == 0 {
		return ""
	}
	return shown(string(e.Char))
}

func shown(s string) string {
	var b strings.Builder
	var prev rune
	for _, r := range s {
		if invisible(r, prev) || r != ' ' && !unicode.IsPrint(r) {
			fmt.Fprintf(&b, "<%U>", r)
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// CleanName normalises a file or folder name to Unicode NFC (macOS sends NFD)
// and rejects names the tree cannot hold. It is what looking a name up
// needs; a name being created must also pass CheckNewName.
func CleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", &NameError{Name: strings.ToValidUTF8(name, "\uFFFD"), Rule: RuleEncoding}
	}
	name = norm.NFC.String(name)
	switch {
	case name == "" || name == "." || name == "..":
		return "", &NameError{Name: name, Rule: RuleEmpty}
	case len(name) > MaxNameBytes:
		return "", &NameError{Name: name, Rule: RuleLength}
	case strings.ContainsRune(name, '/'):
		return "", &NameError{Name: name, Rule: RuleSlash}
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return "", &NameError{Name: name, Rule: RuleControl, Char: r}
		}
	}
	return name, nil
}

// CheckNewName is CleanName plus the rules for a name being created or
// given (upload, new folder, rename, move, copy, restore elsewhere): every
// client must be able to show it, and show it as it is. Names already in
// the tree that break these rules (from before them) stay reachable; they
// only cannot be created again.
func CheckNewName(name string) (string, error) {
	name, err := CleanName(name)
	if err != nil {
		return "", err
	}
	if last, _ := utf8.DecodeLastRuneInString(name); last == '.' || last == ' ' {
		return "", &NameError{Name: name, Rule: RuleTrailing}
	}
	if windowsDevice(name) {
		return "", &NameError{Name: name, Rule: RuleDevice}
	}
	var prev rune
	for _, r := range name {
		if strings.ContainsRune(`:|*?<>"\`, r) {
			return "", &NameError{Name: name, Rule: RuleCharacter, Char: r}
		}
		if invisible(r, prev) {
			return "", &NameError{Name: name, Rule: RuleInvisible, Char: r}
		}
		prev = r
	}
	return name, nil
}

// PortableName maps a valid name (CleanName's rules) to one CheckNewName
// accepts, for importers that must take every file rather than refuse:
// characters Windows or macOS cannot show become "_", invisible ones are
// dropped, trailing dots and spaces are cut, and a device name gets a "_"
// in front ("_CON", "_nul.txt"). A name that passes is returned as is.
func PortableName(name string) string {
	var b strings.Builder
	var prev rune
	for _, r := range name {
		switch {
		case strings.ContainsRune(`:|*?<>"\`, r) || r == '/' || r == 0 || unicode.IsControl(r):
			b.WriteByte('_')
		case invisible(r, prev):
			continue
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	name = strings.TrimRight(b.String(), ". ")
	if name == "" {
		name = "_"
	}
	if windowsDevice(name) {
		name = "_" + name
	}
	return name
}

// windowsDevice reports names Windows reserves for devices: CON, PRN, AUX,
// NUL, COM0–9, LPT0–9 (and their superscript-digit forms), in any case,
// alone or before an extension ("nul.txt", "Con .tar.gz").
func windowsDevice(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	for _, prefix := range []string{"COM", "LPT"} {
		if n, ok := strings.CutPrefix(base, prefix); ok {
			return len(n) > 0 && utf8.RuneCountInString(n) == 1 && strings.Contains("0123456789¹²³", n)
		}
	}
	return false
}

// invisible reports characters that change how a name reads without
// showing: bidirectional controls ("facture\u202Efdp.exe" reads
// "factureexe.pdf"), zero-width spaces and joiners, the byte order mark,
// the soft hyphen. The zero-width joiner and non-joiner are kept after a
// non-ASCII character: emoji sequences, Persian and Indic scripts need
// them there, and there they cannot split a Latin word.
func invisible(r, prev rune) bool {
	switch {
	case unicode.Is(unicode.Bidi_Control, r):
		return true
	case r == '\u200C' || r == '\u200D':
		return prev < utf8.RuneSelf
	}
	switch r {
	case '\u200B', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064', '\uFEFF', '\u180E', '\u00AD', '\u034F', '\u115F', '\u1160', '\u3164', '\uFFA0':
		return true
	}
	return false
}

// sameIgnoringCase reports two names one file on a case-insensitive
// filesystem (Windows, macOS): equal under Unicode simple case folding.
func sameIgnoringCase(a, b string) bool { return a != b && strings.EqualFold(a, b) }

// lowerKeys lists the values SQLite's lower(), which folds ASCII letters
// only, takes on the names equal to name ignoring case: one per way of
// writing its other letters (« École » → « école », « École »). It
// includes the full lower case, so it also serves a lower() that folds
// every letter. Nil past 64 ways: the caller then scans. The ASCII k and s,
// whose case orbits hold the Kelvin sign and the long s, are taken as
// plain ASCII here: a twin written with those is not found.
func lowerKeys(name string) []string {
	keys := []string{""}
	for _, r := range name {
		var ways []rune
		if r < utf8.RuneSelf {
			ways = []rune{unicode.ToLower(r)}
		} else {
			for o := r; ; {
				w := o
				if w < utf8.RuneSelf {
					w = unicode.ToLower(w)
				}
				if !slices.Contains(ways, w) {
					ways = append(ways, w)
				}
				if o = unicode.SimpleFold(o); o == r {
					break
				}
			}
		}
		if len(keys)*len(ways) > 64 {
			return nil
		}
		next := make([]string, 0, len(keys)*len(ways))
		for _, k := range keys {
			for _, w := range ways {
				next = append(next, k+string(w))
			}
		}
		keys = next
	}
	return keys
}

// caseFoldPattern is a LIKE pattern every name equal to name ignoring case
// matches (and a few more, checked after): SQLite's LIKE folds ASCII
// letters only, so other letters, and the ASCII letters that non-ASCII
// ones fold to (the Kelvin sign K, the long s), match any one character.
// Folding maps a character to one character, so lengths agree.
func caseFoldPattern(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '%' || r == '_' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= utf8.RuneSelf || r == 'k' || r == 'K' || r == 's' || r == 'S':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maxKeyLookups is the most ways of writing a name admitName looks up one
// by one; past it, it passes them as one list.
const maxKeyLookups = 8

// admitName checks a name being given to a node in the folder parent:
// CheckNewName's rules unless the name is kept (the node's own name, on a
// move or a copy that keeps it), and no live sibling but self whose name
// differs only by case. The sibling is named only to who may read it.
func (s *core) admitName(ctx context.Context, q querier, p acl.Principal, parent int64, name, kept string, self int64) error {
	if name != kept {
		if _, err := CheckNewName(name); err != nil {
			return err
		}
	}
	var rows *sql.Rows
	var err error
	if keys := lowerKeys(name); len(keys) > 0 && len(keys) <= maxKeyLookups {
		// One index lookup per way of writing it, with no temporary
		// table (SQLite makes one for an IN list or a JSON array).
		args := []any{parent, self}
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString(`SELECT id, name FROM nodes WHERE parent_id = ?1 AND deleted_at IS NULL AND id <> ?2 AND lower(name) = ?` + strconv.Itoa(i+3))
			args = append(args, k)
		}
		rows, err = s.query(ctx, q, b.String(), args...)
	} else if keys != nil {
		list, _ := json.Marshal(keys)
		rows, err = s.query(ctx, q, `SELECT id, name FROM nodes WHERE parent_id = ? AND deleted_at IS NULL AND id <> ?
			AND lower(name) IN (SELECT value FROM json_each(?))`, parent, self, string(list))
	} else {
		// Too many ways to write it: read the siblings of the same length.
		rows, err = s.query(ctx, q, `SELECT id, name FROM nodes WHERE parent_id = ? AND deleted_at IS NULL AND id <> ? AND name LIKE ? ESCAPE '\'`,
			parent, self, caseFoldPattern(name))
	}
	if err != nil {
		return fmt.Errorf("check %q against its folder: %w", name, err)
	}
	var twinID int64
	var twin string
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		if twin == "" && sameIgnoringCase(n, name) {
			twinID, twin = id, n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || twin == "" {
		return err
	}
	if ok, err := s.mayRead(ctx, q, p, twinID); err != nil {
		return err
	} else if !ok {
		twin = ""
	}
	return &NameError{Name: name, Rule: RuleCase, Other: twin}
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
