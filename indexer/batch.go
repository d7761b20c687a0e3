package indexer

import (
	"context"
	"fmt"
	"notreasso/indexer/extract"
	"notreasso/indexer/search"
	"notreasso/internal/repo"
)

// batch limits: documents per Apply, and their total text, so a batch of
// large documents cannot exhaust memory.
const (
	batchDocs  = 500
	batchBytes = 64 << 20
	maxText    = 10 << 20
)

// batch accumulates index changes up to the limits above.
type batch struct {
	x       *Indexer
	apply   func(ctx context.Context, upserts []search.Document, deletes []string) error
	docs    []search.Document
	deletes []string
	bytes   int
	count   int        // documents added, for progress
	pending chan error // the apply in flight, if any
}

func (b *batch) addNode(ctx context.Context, id int64) error {
	files, gone, err := b.x.repo.Index.IndexFiles(ctx, id)
	if err != nil {
		return fmt.Errorf("index node %d: %w", id, err)
	}
	for _, g := range gone {
		b.deletes = append(b.deletes, repo.FormatID(g))
	}
	for _, f := range files {
		var e repo.Extraction
		var ok bool
		if f.Hash != "" {
			if e, ok, err = b.x.repo.Index.GetExtraction(ctx, f.Hash); err != nil {
				return err
			}
		}
		if err := b.addFile(ctx, f, e, ok); err != nil {
			return err
		}
	}
	return nil
}

// addFile adds a live file, given its extraction record if it has one.
func (b *batch) addFile(ctx context.Context, f repo.IndexNode, e repo.Extraction, known bool) error {
	if repo.IsOSJunk(f.Name) {
		// ._* and .DS_Store files from macOS are never indexed.
		b.deletes = append(b.deletes, repo.FormatID(f.ID))
		return nil
	}
	doc, err := b.x.document(ctx, f, e, known)
	if err != nil {
		return err
	}
	b.docs = append(b.docs, doc)
	b.bytes += len(doc.Content)
	b.count++
	if len(b.docs) >= batchDocs || b.bytes >= batchBytes {
		return b.flush(ctx)
	}
	return nil
}

// flush hands the accumulated changes to apply in the background, once
// the previous batch's apply has returned: reading and extracting the next
// batch overlaps indexing this one (each alone leaves a core idle), and
// batches still reach the index one after the other, in order. Call wait
// before relying on the index.
func (b *batch) flush(ctx context.Context) error {
	if err := b.wait(); err != nil {
		return err
	}
	if len(b.docs) == 0 && len(b.deletes) == 0 {
		return nil
	}
	docs, deletes := b.docs, b.deletes
	b.docs, b.deletes, b.bytes = nil, nil, 0
	done := make(chan error, 1)
	b.pending = done
	go func() { done <- b.apply(ctx, docs, deletes) }()
	return nil
}

// wait returns when no apply is in flight, with its error.
func (b *batch) wait() error {
	if b.pending == nil {
		return nil
	}
	err := <-b.pending
	b.pending = nil
	if err != nil {
		return fmt.Errorf("update search index: %w", err)
	}
	return nil
}

// document builds the index document of a file, extracting its text first
// if needed; e is its extraction record, if known.
func (x *Indexer) document(ctx context.Context, f repo.IndexNode, e repo.Extraction, known bool) (search.Document, error) {
	e, err := x.ensureText(ctx, f, e, known)
	if err != nil {
		return search.Document{}, err
	}
	text := ""
	if e.Status == string(extract.StatusOK) {
		if text, err = x.texts.read(ctx, f.Hash, maxText); err != nil {
			return search.Document{}, fmt.Errorf("read text of %s: %w", f.Path, err)
		}
	}
	doc := search.Document{ID: repo.FormatID(f.ID), Name: f.Name, Path: f.Path, Tags: f.Tags, Mime: f.Mime,
		Author: f.Author, Modified: f.ModTime, Size: f.Size, Lang: e.Lang, Content: text, Title: e.Title, Date: e.Date}
	for _, a := range f.Ancestors {
		doc.Ancestors = append(doc.Ancestors, repo.FormatID(a))
	}
	return doc, nil
}
