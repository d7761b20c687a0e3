package web

import (
	"context"
	"path"
	"strings"
	"time"

	"notreasso/indexer/search"
	"notreasso/internal/filetype"
	"notreasso/internal/repo"
)

// extractStates are the extraction states a file page can show
// (extract.<state> in the catalogues), from the indexer's status and the
// extractor that produced the text.
var extractStates = []string{"off", "pending", "ok", "ocr_pdf", "ocr_image", "empty", "unsupported", "failed"}

// fileType is how a file page names a document's type and says whether its
// text is searchable: « Feuille de calcul (CSV) », « texte indexé ».
type fileType struct {
	Family    string // a search family: the ftype.<family> message
	Ext       string // upper-case extension, or ""
	Extract   string // one of extractStates
	Reason    string // why a failed extraction failed (the extractor's words)
	Truncated bool   // only the beginning of the text is searchable
	// What search files the document under when it is not the
	// modification (search.DocumentDate): a date in its name or the date
	// it carries; DateFrom says which ("name", "document"). Title is the
	// document's own title, ranked like its name.
	Date     time.Time
	DateFrom string
	Title    string
}

// dateSources are the values of fileType.DateFrom (searchx.date_from_*).
var dateSources = []string{"name", "document"}

func (s *Server) fileType(ctx context.Context, n repo.Node) (fileType, error) {
	ft := fileType{Family: filetype.Of(n.Name, n.Mime), Ext: strings.ToUpper(strings.TrimPrefix(path.Ext(n.Name), "."))}
	if len(ft.Ext) > 8 {
		ft.Ext = ""
	}
	if s.searcher == nil {
		ft.Extract = "off"
		return ft, nil
	}
	e, ok, err := s.repo.Index.GetExtraction(ctx, n.Hash)
	if err != nil {
		return ft, err
	}
	ft.Extract = extractState(e, ok)
	ft.Reason, ft.Truncated, ft.Title = e.Reason, e.Truncated, e.Title
	if d, ok := search.DateInName(n.Name); ok {
		ft.Date, ft.DateFrom = d, dateSources[0]
	} else if !e.Date.IsZero() {
		ft.Date, ft.DateFrom = e.Date, dateSources[1]
	}
	return ft, nil
}

// extractState maps the indexer's record to what a person reads.
func extractState(e repo.Extraction, ok bool) string {
	switch {
	case !ok:
		return "pending"
	case e.Status == "ok" && strings.HasPrefix(e.Extractor, "pdf/") && strings.Contains(e.Extractor, "tesseract"):
		return "ocr_pdf"
	case e.Status == "ok" && strings.Contains(e.Extractor, "tesseract"):
		return "ocr_image"
	case e.Status == "ok", e.Status == "empty", e.Status == "unsupported", e.Status == "failed":
		return e.Status
	}
	return "pending"
}
