package search

import "notreasso/internal/filetype"

// Families lists every type family (internal/filetype), in the order a
// person would look for them.
var Families = filetype.Families

// Family is the type family of a document, as the Types facet reports it.
func Family(name, mime string) string { return filetype.Of(name, mime) }
