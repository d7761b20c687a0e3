package search

// Families lists every type family, in the order a person would look for
// them; the UI translates each (family.f_<key>, ftype.<key>).
var Families = []string{famPDF, famDocument, famSpreadsheet, famPresentation, famText, famImage,
	famAudio, famVideo, famArchive, famEmail, famWeb, famOther}

// Family is the type family of a document, as the Types facet reports it:
// by extension first, then by MIME type.
func Family(name, mime string) string { return typeFamily(name, mime) }
