package extract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
)

// manyPartsEML is a message of n text parts, the phrase in the first.
func manyPartsEML(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n")
	fmt.Fprintf(&b, "--BB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", phrase)
	for range n - 1 {
		b.WriteString("--BB\r\nContent-Type: text/plain\r\n\r\n\r\n")
	}
	b.WriteString("--BB--\r\n")
	return b.Bytes()
}

// An e-mail of 200 000 empty parts (10 MB) took 32 s of CPU and 20 GB of
// allocations in process: the number of parts is bounded, with a reason.
func TestMailPartsAreBounded(t *testing.T) {
	doc := manyPartsEML(200_000)
	start := time.Now()
	res, err := Extract(context.Background(), bytes.NewReader(doc), int64(len(doc)), "message/rfc822", "parts.eml", io.Discard, Limits{})
	took := time.Since(start)
	if err != nil || res.Status != StatusFailed || !strings.Contains(res.Reason, "MIME parts") {
		t.Fatalf("200 000 parts: %+v %v; want failed, naming the MIME parts", res, err)
	}
	if !raceEnabled && took > 5*time.Second {
		t.Errorf("200 000 parts took %s to refuse", took)
	}
	// A message within the bound is read whole.
	doc = manyPartsEML(maxMailParts)
	var out bytes.Buffer
	if res, err := Extract(context.Background(), bytes.NewReader(doc), int64(len(doc)), "message/rfc822", "ok.eml", &out, Limits{}); err != nil || res.Status != StatusOK || !strings.Contains(out.String(), phrase) {
		t.Errorf("%d parts: %+v %v", maxMailParts, res, err)
	}
}

// sharedStringsXLSX is a workbook whose shared string table holds about
// size bytes of short strings.
func sharedStringsXLSX(t *testing.T, size int) []byte {
	var sst strings.Builder
	for i := 0; sst.Len() < size; i++ {
		fmt.Fprintf(&sst, "<si><t>%d</t></si>", i)
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	return must(t)(testdocs.Zip(
		testdocs.ZipEntry{Name: "[Content_Types].xml", Body: testdocs.ContentTypes()},
		testdocs.ZipEntry{Name: "_rels/.rels", Body: testdocs.Rels([3]string{"rId1", "officeDocument", "xl/workbook.xml"})},
		testdocs.ZipEntry{Name: "xl/workbook.xml", Body: testdocs.XMLHeader + `<workbook ` + ns + `><sheets><sheet name="B" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		testdocs.ZipEntry{Name: "xl/_rels/workbook.xml.rels", Body: testdocs.Rels([3]string{"rId1", "worksheet", "worksheets/sheet1.xml"}, [3]string{"rId2", "sharedStrings", "sharedStrings.xml"})},
		testdocs.ZipEntry{Name: "xl/sharedStrings.xml", Body: testdocs.XMLHeader + `<sst ` + ns + `>` + sst.String() + `</sst>`},
		testdocs.ZipEntry{Name: "xl/worksheets/sheet1.xml", Body: testdocs.XMLHeader + `<worksheet ` + ns + `><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c><c r="B1" t="s"><v>99999999</v></c></row></sheetData></worksheet>`},
	))
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A 9 MB shared string table of short strings (470 000 entries) must not
// cost more memory than its text: it once took the server to 353 MB. The
// table is held compactly; what it holds is measured with it alive.
func TestSharedStringsAreCompact(t *testing.T) {
	doc := sharedStringsXLSX(t, 9<<20)
	lim := Limits{}.withDefaults()
	j := &job{ctx: context.Background(), r: bytes.NewReader(doc), size: int64(len(doc)), lim: lim, out: newSink(context.Background(), io.Discard, lim.MaxTextBytes)}
	z, err := openZip(j)
	if err != nil {
		t.Fatal(err)
	}
	before := liveHeap()
	var table any
	table, err = sharedStrings(z, "xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	held := int64(liveHeap()) - int64(before)
	runtime.KeepAlive(table)
	t.Logf("9 MB shared string table held in %d KiB", held>>10)
	if held > 8<<20 {
		t.Errorf("9 MB of shared strings held in %d MiB; want at most 8 MiB", held>>20)
	}
	// And the workbook still reads: index 7 is "7"; an index past the
	// table reads as empty.
	var out bytes.Buffer
	if res, err := Extract(context.Background(), bytes.NewReader(doc), int64(len(doc)), "", "t.xlsx", &out, Limits{}); err != nil || res.Status != StatusOK || !strings.Contains(out.String(), "7") {
		t.Errorf("workbook: %+v %v %q", res, err, out.String())
	}
}
