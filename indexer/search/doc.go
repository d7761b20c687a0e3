// Package search is the full-text index of Notre Asso's document
// repository, built on bleve (scorch).
//
// The repository core feeds it with Apply (upserts and deletes from its
// journal) and the web layer calls Search with the user's text, UI filters
// and the user's Access. Contents are not stored in the index: snippets are
// cut from the extraction cache through a TextSource.
//
//	ix, err := search.Open(dir, logger, search.WithTextSource(cache.Open))
//	if ix.NeedsRebuild() { /* BeginRebuild, Add everything, Commit */ }
//	err = ix.Apply(ctx, changedDocs, deletedIDs)
//	res, err := ix.Search(ctx, search.Query{Text: `budget -brouillon "assemblée générale"`,
//		Access: search.Access{Roots: grantedFolderIDs}})
//
// Matching: each word must match (in any field); content is analysed three
// ways, a folded form (case, accents, French elisions) for every document
// plus French or English stemming by Document.Lang, each field queried with
// its own analyzer; names and paths also match by prefix. See Query for the
// syntax and docs/search.md for the design, trade-offs and measurements.
package search
