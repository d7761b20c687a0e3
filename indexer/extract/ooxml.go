package extract

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Namespace of relationship ids (r:id) in OOXML parts.
const relNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

// mainPart finds the package's main document through _rels/.rels; some
// producers do not use the conventional name.
func mainPart(z *zipDoc, conventional string) (string, error) {
	rels, err := z.rels("")
	if err != nil {
		return "", err
	}
	for _, r := range rels {
		if r.kind == "officeDocument" && z.has(r.target) {
			return r.target, nil
		}
	}
	if !z.has(conventional) {
		return "", fmt.Errorf("%s not found in archive", conventional)
	}
	return conventional, nil
}

// extractDOCX writes the body of a Word document, then its headers,
// footers, footnotes, endnotes and comments.
func extractDOCX(j *job) error {
	z, err := openZip(j)
	if err != nil {
		return err
	}
	ooxmlProps(z)
	main, err := mainPart(z, "word/document.xml")
	if err != nil {
		return fmt.Errorf("docx: %w", err)
	}
	parts := []string{main}
	rels, err := z.rels(main)
	if err != nil {
		return fmt.Errorf("docx: %w", err)
	}
	for _, r := range rels {
		switch r.kind {
		case "header", "footer", "footnotes", "endnotes", "comments":
			if z.has(r.target) && !slices.Contains(parts, r.target) {
				parts = append(parts, r.target)
			}
		}
	}
	for i, part := range parts {
		if err := wordText(z, part, i == 0); err != nil {
			return fmt.Errorf("docx: %w", err)
		}
	}
	return nil
}

// wordText writes the text of one WordprocessingML part: w:t (and the
// DrawingML a:t of text boxes), w:tab as a tab, w:br/w:cr as line breaks,
// one paragraph per w:p. Field codes (w:instrText), deleted revisions
// (w:delText) and mc:Fallback copies of mc:Choice content are skipped.
// In the body (body), the first paragraph styled as a title or a level-1
// heading is the document's heading (heading.go).
func wordText(z *zipDoc, part string, body bool) error {
	out := z.j.out
	inText, inRun, inHeading := false, 0, false
	return z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "instrText", "delText", "Fallback":
				return dec.Skip()
			case "r":
				inRun++
			case "t":
				inText = true
			case "pStyle":
				if body && !inHeading && headingStyle(attr(t, "val")) {
					inHeading = z.j.heading.start()
				}
			case "tab":
				if inRun > 0 { // w:tab is also a tab-stop definition in w:pPr
					return out.WriteString("\t")
				}
			case "br", "cr":
				if inRun > 0 {
					return out.WriteString("\n")
				}
			case "noBreakHyphen":
				return out.WriteString("-")
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "r":
				inRun--
			case "t":
				inText = false
			case "p":
				if inHeading {
					inHeading = false
					z.j.heading.end()
				}
				return out.Break()
			}
		case xml.CharData:
			if inText && inHeading {
				z.j.heading.add(string(t))
			}
			if inText {
				_, err := out.Write(t)
				return err
			}
		}
		return nil
	})
}

// headingStyle reports whether a Word paragraph style id is a title or a
// level-1 heading (the ids Word gives them in English and French).
func headingStyle(id string) bool {
	switch strings.ToLower(id) {
	case "title", "heading1", "titre", "titre1":
		return true
	}
	return false
}

// extractPPTX writes the slides in presentation order, each followed by
// its speaker notes.
func extractPPTX(j *job) error {
	z, err := openZip(j)
	if err != nil {
		return err
	}
	ooxmlProps(z)
	pres, err := mainPart(z, "ppt/presentation.xml")
	if err != nil {
		return fmt.Errorf("pptx: %w", err)
	}
	slides, err := slideOrder(z, pres)
	if err != nil {
		return fmt.Errorf("pptx: %w", err)
	}
	for _, slide := range slides {
		if err := drawingText(z, slide); err != nil {
			return fmt.Errorf("pptx: %w", err)
		}
		rels, err := z.rels(slide)
		if err != nil {
			return fmt.Errorf("pptx: %w", err)
		}
		for _, r := range rels {
			if r.kind == "notesSlide" && z.has(r.target) {
				if err := drawingText(z, r.target); err != nil {
					return fmt.Errorf("pptx: %w", err)
				}
			}
		}
	}
	return nil
}

// slideOrder lists slide parts as p:sldIdLst orders them, falling back to
// the numbers in their names when the list cannot be resolved.
func slideOrder(z *zipDoc, pres string) ([]string, error) {
	rels, err := z.rels(pres)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	for _, r := range rels {
		if r.kind == "slide" {
			byID[r.id] = r.target
		}
	}
	var slides []string
	err = z.walkXML(pres, func(_ *xml.Decoder, tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sldId" {
			for _, a := range se.Attr {
				if a.Name.Space == relNS && a.Name.Local == "id" && z.has(byID[a.Value]) {
					slides = append(slides, byID[a.Value])
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(slides) == 0 {
		slides = z.names("ppt/slides", "slide", ".xml")
		slices.SortFunc(slides, func(a, b string) int { return partNumber(a) - partNumber(b) })
	}
	return slides, nil
}

// partNumber returns the number in a part name like "ppt/slides/slide12.xml".
func partNumber(name string) int {
	base := strings.TrimSuffix(name[strings.LastIndexByte(name, '/')+1:], ".xml")
	i := len(base)
	for i > 0 && base[i-1] >= '0' && base[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(base[i:])
	return n
}

// drawingText writes the DrawingML text of a slide: a:t runs, a:br line
// breaks, one paragraph per a:p.
func drawingText(z *zipDoc, part string) error {
	out := z.j.out
	inText := false
	return z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Fallback":
				return dec.Skip()
			case "t":
				inText = true
			case "br":
				return out.WriteString("\n")
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				return out.Break()
			}
		case xml.CharData:
			if inText {
				_, err := out.Write(t)
				return err
			}
		}
		return nil
	})
}
