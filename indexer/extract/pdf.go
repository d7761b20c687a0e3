package extract

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ledongthuc/pdf"
)

// extractPDF prefers pdftotext (poppler), which copes with far more real
// PDFs than the pure Go parser, when it is installed and the document is a
// file on disk (the worker of RunIsolated always has one). Otherwise it
// uses github.com/ledongthuc/pdf page by page. When the text layer is empty
// (a scan) and tesseract and pdftoppm are installed, the pages are OCRed.
func extractPDF(j *job) error {
	pdfProps(j)
	var err error
	if j.path != "" && !j.lim.NoExternalTools && pdftotextPath() != "" {
		j.res.Extractor = "pdf/pdftotext"
		err = pdfWithPoppler(j)
	} else {
		j.res.Extractor = "pdf/go"
		err = pdfWithGo(j)
	}
	if err != nil || j.out.hasText() || !pdfOCRAvailable(j) {
		return err
	}
	j.res.Extractor += "+tesseract"
	return ocrPDF(j)
}

// pdfWithPoppler streams `pdftotext -q -nopgbrk -enc UTF-8 -eol unix FILE -`.
func pdfWithPoppler(j *job) error {
	cmd := exec.CommandContext(j.ctx, pdftotextPath(), "-q", "-nopgbrk", "-enc", "UTF-8", "-eol", "unix", j.path, "-")
	err := runTool(j, cmd)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case 1:
			return fmt.Errorf("pdftotext: cannot open PDF (malformed or not a PDF)")
		case 3:
			return fmt.Errorf("pdftotext: PDF is encrypted or forbids text extraction")
		case 99:
			return fmt.Errorf("pdftotext: cannot read the PDF (malformed page tree or objects)")
		}
	}
	return err
}

// Guards for the page-tree walk of the Go parser: real trees are a few
// levels deep; anything deeper is a cycle (/Kids pointing to an ancestor).
const maxPageTreeDepth = 64

// pdfWithGo extracts with github.com/ledongthuc/pdf. It walks the page
// tree itself, bounded in depth and node count, instead of trusting
// /Count: the library's NumPage/Page(i) loop forever on a /Kids cycle and
// for billions of iterations on a forged /Count. Panics inside the library
// (frequent on malformed files) are recovered per page. Loops elsewhere in
// the library (an xref /Prev chain pointing to itself) cannot be guarded
// here: that is what RunIsolated is for.
func pdfWithGo(j *job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdf: malformed: %v", p)
		}
	}()
	doc, err := pdf.NewReader(j.r, j.size)
	if err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	root := doc.Trailer().Key("Root").Key("Pages")
	if root.IsNull() {
		return fmt.Errorf("pdf: no page tree")
	}
	// Every page-tree node costs at least a few bytes of file, so the
	// number of nodes a legitimate file can have is bounded by its size.
	budget := max(j.size/4, 1000)
	pages, pageErrs := 0, 0
	var firstPageErr error
	walkErr := walkPages(root, 0, &budget, func(p pdf.Page) error {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		pages++
		if err := pageText(p, j.out); err != nil {
			if errors.Is(err, errTruncated) || errors.As(err, new(*outputError)) || errors.Is(err, errAbandoned) {
				return err
			}
			pageErrs++ // one bad page should not lose the others
			if firstPageErr == nil {
				firstPageErr = err
			}
		}
		return j.out.Break()
	})
	if walkErr != nil {
		return walkErr
	}
	if pageErrs == pages && firstPageErr != nil {
		return fmt.Errorf("pdf: %w", firstPageErr)
	}
	if count := root.Key("Count").Int64(); count != int64(pages) {
		j.res.Reason = fmt.Sprintf("page tree /Count is %d but %d pages were found", count, pages)
	}
	if pageErrs > 0 {
		j.res.Reason = strings.TrimPrefix(j.res.Reason+fmt.Sprintf("; %d of %d pages unreadable: %v", pageErrs, pages, firstPageErr), "; ")
	}
	return nil
}

// walkPages visits the leaves of the page tree in order.
func walkPages(node pdf.Value, depth int, budget *int64, visit func(pdf.Page) error) error {
	if depth > maxPageTreeDepth {
		return fmt.Errorf("pdf: page tree deeper than %d levels (cycle in /Kids?)", maxPageTreeDepth)
	}
	kids := node.Key("Kids")
	if node.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array {
		if node.Kind() != pdf.Dict {
			return nil // a dangling reference: skip, as viewers do
		}
		return visit(pdf.Page{V: node})
	}
	for i := 0; i < kids.Len(); i++ {
		if *budget--; *budget < 0 {
			return fmt.Errorf("pdf: page tree has more nodes than the file size allows (cycle in /Kids?)")
		}
		if err := walkPages(kids.Index(i), depth+1, budget, visit); err != nil {
			return err
		}
	}
	return nil
}
