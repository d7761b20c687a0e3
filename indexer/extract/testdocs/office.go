package testdocs

import (
	"fmt"
	"strings"
)

// XML boilerplate of OOXML parts.
const (
	XMLHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	// WordNS declares the prefixes of a WordprocessingML part (w, r, mc).
	WordNS  = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`
	relsNS  = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	relType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

// Rels is a relationships part; each rel is {Id, type (after the
// officeDocument relationships URI), Target}.
func Rels(rels ...[3]string) string {
	var b strings.Builder
	b.WriteString(XMLHeader + `<Relationships ` + relsNS + `>`)
	for _, r := range rels {
		fmt.Fprintf(&b, `<Relationship Id="%s" Type="%s%s" Target="%s"/>`, r[0], relType, r[1], r[2])
	}
	b.WriteString(`</Relationships>`)
	return b.String()
}

// ContentTypes is a [Content_Types].xml with the given Override elements.
func ContentTypes(overrides ...string) string {
	return XMLHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` + strings.Join(overrides, "") + `</Types>`
}

// DOCXParts are the package parts a Word document needs besides its main
// part word/document.xml (for hand-made archives: bombs, many entries).
func DOCXParts() []ZipEntry {
	return []ZipEntry{
		{Name: "[Content_Types].xml", Body: ContentTypes()},
		{Name: "_rels/.rels", Body: Rels([3]string{"rId1", "officeDocument", "word/document.xml"})},
	}
}

// DOCX is a Word document: "Le <phrase> est approuvé<tab>par les membres."
// with text split across runs, a tab-stop definition (not text), a field
// code (not text), a line break, an mc:Fallback copy (not text twice), a
// ligature ("Résumé ﬁnancier") and a header ("En-tête de l'association").
func DOCX(phrase string) ([]byte, error) {
	return DOCXBody(`<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>` +
		`<w:r><w:t>Le ` + xmlText(phrase) + `</w:t></w:r><w:r><w:t xml:space="preserve"> est approuvé</w:t></w:r>` +
		`<w:r><w:tab/><w:t>par les membres.</w:t></w:r></w:p>` +
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "http://field-code.example" </w:instrText></w:r>` +
		`<w:r><w:t>Ligne</w:t><w:br/><w:t>suivante</w:t></w:r></w:p>` +
		`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:t>Zone de texte</w:t></mc:Choice><mc:Fallback><w:t>Zone de texte</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:r><w:t>Ré</w:t></w:r><w:r><w:t>sumé ﬁnancier</w:t></w:r></w:p>`)
}

// DOCXBody is a Word document whose w:body is bodyXML (WordprocessingML),
// with the DOCX header part.
func DOCXBody(bodyXML string) ([]byte, error) {
	return Zip(
		ZipEntry{Name: "[Content_Types].xml", Body: ContentTypes(`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`)},
		ZipEntry{Name: "_rels/.rels", Body: Rels([3]string{"rId1", "officeDocument", "word/document.xml"})},
		ZipEntry{Name: "word/document.xml", Body: XMLHeader + `<w:document ` + WordNS + `><w:body>` + bodyXML + `</w:body></w:document>`},
		ZipEntry{Name: "word/_rels/document.xml.rels", Body: Rels([3]string{"rId7", "header", "header1.xml"})},
		ZipEntry{Name: "word/header1.xml", Body: XMLHeader + `<w:hdr ` + WordNS + `><w:p><w:r><w:t>En-tête de l'association</w:t></w:r></w:p></w:hdr>`},
	)
}

// XLSX is a workbook with one sheet "Budget 2024": shared strings (one of
// them "Le <phrase>", one split in runs, one unused), a number, an inline
// string and a formula with its cached value.
func XLSX(phrase string) ([]byte, error) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	return Zip(
		ZipEntry{Name: "[Content_Types].xml", Body: ContentTypes()},
		ZipEntry{Name: "_rels/.rels", Body: Rels([3]string{"rId1", "officeDocument", "xl/workbook.xml"})},
		ZipEntry{Name: "xl/workbook.xml", Body: XMLHeader + `<workbook ` + ns + `><sheets><sheet name="Budget 2024" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		ZipEntry{Name: "xl/_rels/workbook.xml.rels", Body: Rels(
			[3]string{"rId1", "worksheet", "worksheets/sheet1.xml"},
			[3]string{"rId2", "sharedStrings", "sharedStrings.xml"})},
		ZipEntry{Name: "xl/sharedStrings.xml", Body: XMLHeader + `<sst ` + ns + ` count="3" uniqueCount="3">` +
			`<si><t>Le ` + xmlText(phrase) + `</t></si><si><r><t>Mon</t></r><r><t>tant</t></r></si><si><t>inutilisée</t></si></sst>`},
		ZipEntry{Name: "xl/worksheets/sheet1.xml", Body: XMLHeader + `<worksheet ` + ns + `><sheetData>` +
			`<row r="1"><c r="A1" t="s"><v>0</v></c></row>` +
			`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>1250.5</v></c></row>` +
			`<row r="3"><c r="A3" t="inlineStr"><is><t>Dons et legs</t></is></c><c r="B3"><f>SUM(B1:B2)</f><v>300</v></c></row>` +
			`</sheetData></worksheet>`},
	)
}

// PPTX is a presentation whose first slide, "Première diapositive : le
// <phrase>", is the part slide2.xml, listed before slide1.xml in
// p:sldIdLst (the order must come from there, not from part names); its
// speaker notes say "Notes de l'orateur".
func PPTX(phrase string) ([]byte, error) {
	const ns = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	slide := func(text string) string {
		return XMLHeader + `<p:sld ` + ns + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + text +
			`</a:t></a:r><a:br/><a:r><a:t>suite</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
	}
	return Zip(
		ZipEntry{Name: "[Content_Types].xml", Body: ContentTypes()},
		ZipEntry{Name: "_rels/.rels", Body: Rels([3]string{"rId1", "officeDocument", "ppt/presentation.xml"})},
		ZipEntry{Name: "ppt/presentation.xml", Body: XMLHeader + `<p:presentation ` + ns + `><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>`},
		ZipEntry{Name: "ppt/_rels/presentation.xml.rels", Body: Rels(
			[3]string{"rId2", "slide", "slides/slide1.xml"},
			[3]string{"rId3", "slide", "slides/slide2.xml"})},
		ZipEntry{Name: "ppt/slides/slide1.xml", Body: slide("Deuxième diapositive")},
		ZipEntry{Name: "ppt/slides/slide2.xml", Body: slide("Première diapositive : le " + xmlText(phrase))},
		ZipEntry{Name: "ppt/slides/_rels/slide2.xml.rels", Body: Rels([3]string{"rId1", "notesSlide", "../notesSlides/notesSlide1.xml"})},
		ZipEntry{Name: "ppt/notesSlides/notesSlide1.xml", Body: slide("Notes de l'orateur")},
	)
}

const odfNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3"`

// ODF is an OpenDocument package of the given MIME type whose office:body
// is bodyXML.
func ODF(mimeType, bodyXML string) ([]byte, error) {
	return Zip(
		ZipEntry{Name: "mimetype", Body: mimeType, Store: true},
		ZipEntry{Name: "META-INF/manifest.xml", Body: XMLHeader + `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">` +
			`<manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimeType + `"/>` +
			`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		ZipEntry{Name: "content.xml", Body: XMLHeader + `<office:document-content ` + odfNS + `><office:body>` + bodyXML + `</office:body></office:document-content>`},
	)
}

// ODT is a text document: a heading "Compte rendu", "Le <phrase> est
// approuvé." with a span, text:s, text:tab and text:line-break, and a
// tracked deletion ("texte supprimé", not text).
func ODT(phrase string) ([]byte, error) {
	return ODF("application/vnd.oasis.opendocument.text", `<office:text>`+
		`<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>texte supprimé</text:p></text:deletion></text:changed-region></text:tracked-changes>`+
		`<text:h text:outline-level="1">Compte rendu</text:h>`+
		`<text:p>Le `+xmlText(phrase)+` est <text:span>approuvé</text:span>.</text:p>`+
		`<text:p>Trois<text:s text:c="3"/>espaces<text:tab/>tabulation<text:line-break/>nouvelle ligne</text:p>`+
		`</office:text>`)
}

// ODS is a spreadsheet "Comptes": "Le <phrase>", repeated empty cells, 42,
// and a million repeated empty rows (which must not be expanded).
func ODS(phrase string) ([]byte, error) {
	return ODF("application/vnd.oasis.opendocument.spreadsheet", `<office:spreadsheet>`+
		`<table:table table:name="Comptes"><table:table-row>`+
		`<table:table-cell><text:p>Le `+xmlText(phrase)+`</text:p></table:table-cell>`+
		`<table:table-cell table:number-columns-repeated="3"/>`+
		`<table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>`+
		`</table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>`+
		`</table:table></office:spreadsheet>`)
}

// ODP is a presentation of two slides, the first "Première diapositive :
// le <phrase>".
func ODP(phrase string) ([]byte, error) {
	frame := func(text string) string {
		return `<draw:frame><draw:text-box><text:p>` + text + `</text:p></draw:text-box></draw:frame>`
	}
	return ODF("application/vnd.oasis.opendocument.presentation", `<office:presentation>`+
		`<draw:page draw:name="p1">`+frame("Première diapositive : le "+xmlText(phrase))+`</draw:page>`+
		`<draw:page draw:name="p2">`+frame("Deuxième diapositive")+`</draw:page>`+
		`</office:presentation>`)
}
