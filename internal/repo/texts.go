package repo

import "notreasso/storage"

// PreviewText is the rendering kind of a content's extracted text: the
// indexer stores each text as a blob of its own, recorded like the other
// renderings of the content, so that every server sharing the database and
// the blob store finds a text another one extracted, and the sweep keeps it
// while its content lives.
const PreviewText = "text"

// LocalContent reports whether contents are files on this machine (the
// local disk store) rather than objects every server reaches.
func (s *Index) LocalContent() bool {
	_, ok := s.blobs.(storage.LocalFiles)
	return ok
}
