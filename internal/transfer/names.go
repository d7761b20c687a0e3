// Package transfer moves whole trees in and out of the repository: import
// of a scattered folder (a USB stick, a cloud export, someone's Documents)
// and export to a plain folder anyone can open. Every file goes through
// internal/repo, so permissions and the journal apply as for an upload.
package transfer

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"notreasso/internal/repo"
)

// RepairName turns a name found on disk into one the repository accepts:
// bytes that are not UTF-8 are read as Windows-1252 (old Windows and USB
// sticks), the result is NFC, made portable (repo.PortableName: control
// characters and : | * ? < > " \ become "_", invisible characters go,
// trailing dots and spaces are cut, "CON" becomes "_CON"), and a name
// over repo.MaxNameBytes is shortened keeping its extension. It reports
// whether the name changed in a way people would notice (NFC alone does
// not count: it is the same name on screen).
func RepairName(name string) (string, bool) {
	orig := name
	changed := false
	if !utf8.ValidString(name) {
		if dec, err := charmap.Windows1252.NewDecoder().String(name); err == nil {
			name = dec
		} else {
			name = strings.ToValidUTF8(name, "_")
		}
		changed = true
	}
	name = norm.NFC.String(name)
	if p := repo.PortableName(name); p != name {
		name, changed = p, true
	}
	if len(name) > repo.MaxNameBytes {
		name = shorten(name, repo.MaxNameBytes)
		changed = true
	}
	return name, changed && name != norm.NFC.String(orig)
}

// shorten cuts name to at most max bytes on a rune boundary, keeping a
// short extension.
func shorten(name string, max int) string {
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	room := max - len(ext) - len("…")
	for len(stem) > room {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + "…" + ext
}

// uniqueName returns name, or name with " (2)", " (3)"… before the
// extension if taken already. taken is keyed by foldName.
func uniqueName(name string, taken map[string]bool) string {
	if !taken[foldName(name)] {
		return name
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 2; ; i++ {
		suffix := fmt.Sprintf(" (%d)", i)
		cand := stem + suffix + ext
		if len(cand) > repo.MaxNameBytes {
			cand = shorten(stem, repo.MaxNameBytes-len(suffix)-len(ext)) + suffix + ext
		}
		if !taken[foldName(cand)] {
			return cand
		}
	}
}

// foldName is the key under which names one file on Windows and macOS (equal
// but for case) collide.
func foldName(name string) string { return strings.ToLower(name) }

// systemFile reports clutter that operating systems and office suites
// leave in folders and nobody means to keep.
func systemFile(name string) bool {
	switch strings.ToLower(name) {
	case ".ds_store", "thumbs.db", "desktop.ini", ".directory", ".localized", "ehthumbs.db", "icon\r":
		return true
	}
	return strings.HasPrefix(name, "._") || strings.HasPrefix(name, "~$") || strings.HasPrefix(name, ".~lock.")
}
