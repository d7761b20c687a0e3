package repo

import "strings"

// IsOSJunk reports whether a file name is one operating systems scatter on
// network drives: macOS AppleDouble ("._*"), Finder and Spotlight state,
// Windows thumbnail caches and folder settings. WebDAV stores, discards or
// refuses them by configuration (dav.os_junk); the indexer never indexes
// them, whatever that setting.
func IsOSJunk(name string) bool {
	if strings.HasPrefix(name, "._") || strings.HasPrefix(name, ".ql_") || strings.HasPrefix(name, ".metadata_never_index") {
		return true
	}
	switch strings.ToLower(name) {
	case ".ds_store", ".localized", ".spotlight-v100", ".trashes", ".fseventsd", ".temporaryitems", ".apdisk",
		"thumbs.db", "ehthumbs.db", "desktop.ini":
		return true
	}
	return false
}
