package extract

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// maxHTMLToken bounds the tokenizer's buffer: one text node or tag larger
// than this fails the document instead of growing memory without bound.
const maxHTMLToken = 4 << 20

func extractHTML(j *job) error {
	return htmlText(j.section(), j.mime, j.out, j)
}

// htmlText writes the visible text of an HTML document: the title and the
// body, without script, style, template or the rest of head. Block
// elements end paragraphs; source whitespace collapses as a browser would,
// except inside pre. The charset comes from the BOM, contentType, a meta
// tag, or is guessed (golang.org/x/net/html/charset). With a titled job,
// the document's <title> is its title and its first h1 its heading (an
// e-mail's HTML part passes nil: the Subject is its title).
func htmlText(r io.Reader, contentType string, out *sink, titled *job) error {
	cr, err := charset.NewReader(r, contentType)
	if err != nil {
		return fmt.Errorf("html charset: %w", err)
	}
	z := html.NewTokenizer(cr)
	z.SetMaxBuf(maxHTMLToken)
	var (
		hidden  int // depth inside elements whose text is not shown
		inHead  bool
		inTitle bool
		inPre   int
		inH1    bool
		title   strings.Builder
	)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return fmt.Errorf("parse html: %w", z.Err())
		case html.TextToken:
			if hidden > 0 || inHead && !inTitle {
				continue
			}
			text := string(z.Text())
			if inPre == 0 {
				text = collapseSpace(text, out)
			}
			if titled != nil && inTitle && title.Len() < 4*maxTitleRunes {
				title.WriteString(text)
			}
			if titled != nil && inH1 {
				titled.heading.add(text)
			}
			if err := out.WriteString(text); err != nil {
				return err
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			selfClosing := tt == html.SelfClosingTagToken
			switch {
			case hiddenElement(a):
				if !selfClosing && !voidElement(a) {
					hidden++
				}
			case a == atom.Head:
				inHead = true
			case a == atom.Body:
				inHead = false
			case a == atom.Title:
				inTitle = true
			case a == atom.Pre:
				inPre++
			case a == atom.H1 && titled != nil && !selfClosing:
				inH1 = titled.heading.start()
			}
			if err := htmlSeparator(a, out); err != nil {
				return err
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hiddenElement(a):
				if hidden > 0 {
					hidden--
				}
			case a == atom.Head:
				inHead = false
			case a == atom.Title:
				inTitle = false
				if titled != nil && titled.res.Title == "" {
					titled.res.setTitle(title.String())
				}
				if err := out.Break(); err != nil {
					return err
				}
			case a == atom.Pre && inPre > 0:
				inPre--
			case a == atom.H1 && inH1:
				inH1 = false
				titled.heading.end()
			}
			if err := htmlSeparator(a, out); err != nil {
				return err
			}
		}
	}
}

// hiddenElement lists elements whose content is never shown as text.
func hiddenElement(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Svg, atom.Math, atom.Iframe, atom.Object:
		return true
	}
	return false
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Hr, atom.Img, atom.Input, atom.Meta, atom.Link, atom.Wbr, atom.Area, atom.Base, atom.Col, atom.Embed, atom.Source, atom.Track:
		return true
	}
	return false
}

// htmlSeparator ends a paragraph at block elements and separates table
// cells and inline form controls, so words from neighbouring boxes do not
// merge.
func htmlSeparator(a atom.Atom, out *sink) error {
	switch a {
	case atom.P, atom.Div, atom.Br, atom.Hr, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Tr, atom.Caption,
		atom.Blockquote, atom.Pre, atom.Section, atom.Article, atom.Aside, atom.Header, atom.Footer,
		atom.Nav, atom.Main, atom.Figure, atom.Figcaption, atom.Form, atom.Fieldset, atom.Address,
		atom.Details, atom.Summary, atom.Body:
		return out.Break()
	case atom.Td, atom.Th, atom.Option, atom.Label, atom.Button, atom.Img:
		return out.Space()
	}
	return nil
}

// collapseSpace folds runs of HTML whitespace into one space and drops a
// leading space where the output already ends a word or a line.
func collapseSpace(text string, out *sink) string {
	var b strings.Builder
	space := false
	for _, r := range text {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			space = true
			continue
		}
		if space && (b.Len() > 0 || !out.endsBlank()) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	if space && (b.Len() > 0 || !out.endsBlank()) {
		b.WriteByte(' ')
	}
	return b.String()
}
