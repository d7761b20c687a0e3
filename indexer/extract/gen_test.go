package extract

// Generators of real documents for the tests, written byte by byte: no
// fixture is downloaded or checked in.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// phrase is what every generated document must be found by.
const phrase = "procès-verbal de l'assemblée générale"

// zipEntry is one file of a generated archive.
type zipEntry struct {
	name, body string
	store      bool // ODF's mimetype must be stored, uncompressed and first
}

func zipBytes(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	wNS       = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`
	relsNS    = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	relType   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

func relsXML(rels ...[3]string) string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<Relationships ` + relsNS + `>`)
	for _, r := range rels {
		fmt.Fprintf(&b, `<Relationship Id="%s" Type="%s%s" Target="%s"/>`, r[0], relType, r[1], r[2])
	}
	b.WriteString(`</Relationships>`)
	return b.String()
}

func contentTypes(overrides ...string) string {
	return xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` + strings.Join(overrides, "") + `</Types>`
}

// docxBytes is a Word document with a header, a tab-stop definition (not
// text), a field code (not text), a line break, text split across runs,
// an mc:Fallback copy (not text twice) and a ligature.
func docxBytes(t testing.TB, body string) []byte {
	if body == "" {
		body = `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>` +
			`<w:r><w:t>Le ` + phrase + `</w:t></w:r><w:r><w:t xml:space="preserve"> est approuvé</w:t></w:r>` +
			`<w:r><w:tab/><w:t>par les membres.</w:t></w:r></w:p>` +
			`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "http://field-code.example" </w:instrText></w:r>` +
			`<w:r><w:t>Ligne</w:t><w:br/><w:t>suivante</w:t></w:r></w:p>` +
			`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:t>Zone de texte</w:t></mc:Choice><mc:Fallback><w:t>Zone de texte</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
			`<w:p><w:r><w:t>Ré</w:t></w:r><w:r><w:t>sumé ﬁnancier</w:t></w:r></w:p>`
	}
	return zipBytes(t, []zipEntry{
		{name: "[Content_Types].xml", body: contentTypes(`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`)},
		{name: "_rels/.rels", body: relsXML([3]string{"rId1", "officeDocument", "word/document.xml"})},
		{name: "word/document.xml", body: xmlHeader + `<w:document ` + wNS + `><w:body>` + body + `</w:body></w:document>`},
		{name: "word/_rels/document.xml.rels", body: relsXML([3]string{"rId7", "header", "header1.xml"})},
		{name: "word/header1.xml", body: xmlHeader + `<w:hdr ` + wNS + `><w:p><w:r><w:t>En-tête de l'association</w:t></w:r></w:p></w:hdr>`},
	})
}

// xlsxBytes has shared strings, a number, an inline string and a formula.
func xlsxBytes(t testing.TB) []byte {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	return zipBytes(t, []zipEntry{
		{name: "[Content_Types].xml", body: contentTypes()},
		{name: "_rels/.rels", body: relsXML([3]string{"rId1", "officeDocument", "xl/workbook.xml"})},
		{name: "xl/workbook.xml", body: xmlHeader + `<workbook ` + ns + `><sheets><sheet name="Budget 2024" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{name: "xl/_rels/workbook.xml.rels", body: relsXML(
			[3]string{"rId1", "worksheet", "worksheets/sheet1.xml"},
			[3]string{"rId2", "sharedStrings", "sharedStrings.xml"})},
		{name: "xl/sharedStrings.xml", body: xmlHeader + `<sst ` + ns + ` count="3" uniqueCount="3">` +
			`<si><t>Le ` + phrase + `</t></si><si><r><t>Mon</t></r><r><t>tant</t></r></si><si><t>inutilisée</t></si></sst>`},
		{name: "xl/worksheets/sheet1.xml", body: xmlHeader + `<worksheet ` + ns + `><sheetData>` +
			`<row r="1"><c r="A1" t="s"><v>0</v></c></row>` +
			`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>1250.5</v></c></row>` +
			`<row r="3"><c r="A3" t="inlineStr"><is><t>Dons et legs</t></is></c><c r="B3"><f>SUM(B1:B2)</f><v>300</v></c></row>` +
			`</sheetData></worksheet>`},
	})
}

// pptxBytes lists slide2.xml before slide1.xml in the presentation, so
// the order must come from p:sldIdLst, not from the part names.
func pptxBytes(t testing.TB) []byte {
	const ns = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	slide := func(text string) string {
		return xmlHeader + `<p:sld ` + ns + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + text +
			`</a:t></a:r><a:br/><a:r><a:t>suite</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
	}
	return zipBytes(t, []zipEntry{
		{name: "[Content_Types].xml", body: contentTypes()},
		{name: "_rels/.rels", body: relsXML([3]string{"rId1", "officeDocument", "ppt/presentation.xml"})},
		{name: "ppt/presentation.xml", body: xmlHeader + `<p:presentation ` + ns + `><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>`},
		{name: "ppt/_rels/presentation.xml.rels", body: relsXML(
			[3]string{"rId2", "slide", "slides/slide1.xml"},
			[3]string{"rId3", "slide", "slides/slide2.xml"})},
		{name: "ppt/slides/slide1.xml", body: slide("Deuxième diapositive")},
		{name: "ppt/slides/slide2.xml", body: slide("Première diapositive : le " + phrase)},
		{name: "ppt/slides/_rels/slide2.xml.rels", body: relsXML([3]string{"rId1", "notesSlide", "../notesSlides/notesSlide1.xml"})},
		{name: "ppt/notesSlides/notesSlide1.xml", body: slide("Notes de l'orateur")},
	})
}

const odfNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3"`

func odfBytes(t testing.TB, mimeType, body string) []byte {
	return zipBytes(t, []zipEntry{
		{name: "mimetype", body: mimeType, store: true},
		{name: "META-INF/manifest.xml", body: xmlHeader + `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">` +
			`<manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimeType + `"/>` +
			`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		{name: "content.xml", body: xmlHeader + `<office:document-content ` + odfNS + `><office:body>` + body + `</office:body></office:document-content>`},
	})
}

func odtBytes(t testing.TB) []byte {
	return odfBytes(t, "application/vnd.oasis.opendocument.text", `<office:text>`+
		`<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>texte supprimé</text:p></text:deletion></text:changed-region></text:tracked-changes>`+
		`<text:h text:outline-level="1">Compte rendu</text:h>`+
		`<text:p>Le `+phrase+` est <text:span>approuvé</text:span>.</text:p>`+
		`<text:p>Trois<text:s text:c="3"/>espaces<text:tab/>tabulation<text:line-break/>nouvelle ligne</text:p>`+
		`</office:text>`)
}

func odsBytes(t testing.TB) []byte {
	return odfBytes(t, "application/vnd.oasis.opendocument.spreadsheet", `<office:spreadsheet>`+
		`<table:table table:name="Comptes"><table:table-row>`+
		`<table:table-cell><text:p>Le `+phrase+`</text:p></table:table-cell>`+
		`<table:table-cell table:number-columns-repeated="3"/>`+
		`<table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>`+
		`</table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>`+
		`</table:table></office:spreadsheet>`)
}

func odpBytes(t testing.TB) []byte {
	frame := func(text string) string {
		return `<draw:frame><draw:text-box><text:p>` + text + `</text:p></draw:text-box></draw:frame>`
	}
	return odfBytes(t, "application/vnd.oasis.opendocument.presentation", `<office:presentation>`+
		`<draw:page draw:name="p1">`+frame("Première diapositive : le "+phrase)+`</draw:page>`+
		`<draw:page draw:name="p2">`+frame("Deuxième diapositive")+`</draw:page>`+
		`</office:presentation>`)
}

// cp1252 encodes s in Windows-1252, failing the test on a rune it lacks.
func cp1252(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q in windows-1252: %v", s, err)
	}
	return b
}

// writeFile writes a generated document into the test's temp dir.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// zipBombFile writes a ZIP whose one entry inflates to size bytes of
// repeated pattern, streaming: one deflate chunk of 1 MiB, compressed
// against a preset dictionary equal to the window it will find in the
// stream, is repeated as often as needed. Each chunk ends with a sync
// flush, so chunks are byte-aligned and can be concatenated; the CRC is
// real, so the archive is valid. 2 GiB take 3 MB and ~0.1 s.
func zipBombFile(t testing.TB, path, entry, prefix, pattern string, size int64, extra ...zipEntry) {
	t.Helper()
	chunk := bytes.Repeat([]byte(pattern), (1<<20)/len(pattern))
	var first, repeat bytes.Buffer
	fw, _ := flate.NewWriter(&first, flate.BestCompression)
	fw.Write([]byte(prefix))
	fw.Write(chunk)
	fw.Flush()
	dw, _ := flate.NewWriterDict(&repeat, flate.BestCompression, chunk[len(chunk)-32<<10:])
	dw.Write(chunk)
	dw.Flush()
	finalBlock := []byte{1, 0, 0, 0xff, 0xff} // empty stored block with BFINAL set

	n := max(size/int64(len(chunk)), 1)
	crc := crc32.ChecksumIEEE([]byte(prefix))
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, e := range extra {
		w, _ := zw.Create(e.name)
		io.WriteString(w, e.body)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: entry, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(first.Len() + int(n-1)*repeat.Len() + len(finalBlock)),
		UncompressedSize64: uint64(len(prefix)) + uint64(n)*uint64(len(chunk)),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(first.Bytes())
	for range n - 1 {
		w.Write(repeat.Bytes())
	}
	w.Write(finalBlock)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
