package testdocs

// Hostile inputs: PDFs that make parsers loop, panic or allocate without
// bound, and zip bombs written streaming.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// GarbagePDF starts and ends like a PDF and is nothing else.
func GarbagePDF() []byte {
	return []byte("%PDF-1.4\n\x00\xff garbage, not a PDF at all \n%%EOF\n")
}

// TruncatedPDF is the first half of a valid 3-page PDF.
func TruncatedPDF() []byte {
	valid, _ := PDFPages(FrenchPages(3), PDFOptions{}) // FrenchPages is Windows-1252
	return valid[:len(valid)/2]
}

// PrevLoopPDF is a one-page PDF whose trailer's /Prev points at its own
// xref table: github.com/ledongthuc/pdf follows the chain for ever
// (poppler notices and reads the file).
func PrevLoopPDF() []byte { return hostile(PDFOptions{PrevLoop: true}) }

// KidsCyclePDF is a one-page PDF whose root /Pages lists itself among its
// /Kids: walking the page tree naively never ends.
func KidsCyclePDF() []byte { return hostile(PDFOptions{KidsCycle: true}) }

// HugeCountPDF is a one-page PDF whose page tree claims 2 000 000 000
// pages: iterating up to /Count means billions of iterations.
func HugeCountPDF() []byte { return hostile(PDFOptions{Count: 2_000_000_000}) }

// XrefAllocPDF is a one-page PDF whose xref subsection is numbered from
// start: ledongthuc/pdf allocates a table of start entries (32 bytes
// each), then a copy of it.
func XrefAllocPDF(start int) []byte { return hostile(PDFOptions{XrefStart: start}) }

func hostile(opt PDFOptions) []byte {
	b, _ := PDFPages(FrenchPages(1), opt) // FrenchPages is Windows-1252
	return b
}

// HostilePDFs are the crafted PDFs above by name: garbage, truncated,
// prev-loop, kids-cycle, count-2e9 and xref-alloc (numbered from 50
// million: a 1.6 GB table).
func HostilePDFs() map[string][]byte {
	return map[string][]byte{
		"garbage":    GarbagePDF(),
		"truncated":  TruncatedPDF(),
		"prev-loop":  PrevLoopPDF(),
		"kids-cycle": KidsCyclePDF(),
		"count-2e9":  HugeCountPDF(),
		"xref-alloc": XrefAllocPDF(50_000_000),
	}
}

// ZipBombFile writes to path a ZIP whose entry inflates to prefix followed
// by about size bytes of repeated pattern (whole MiB chunks, at least
// one), after the extra entries. It streams: one deflate chunk of 1 MiB,
// compressed against a preset dictionary equal to the window it will find
// in the stream, is repeated as often as needed. Each chunk ends with a
// sync flush, so chunks are byte-aligned and can be concatenated; the CRC
// is real, so the archive is valid. 2 GiB take 3 MB and ~0.1 s, and
// nothing larger than a chunk is ever in memory.
func ZipBombFile(path, entry, prefix, pattern string, size int64, extra ...ZipEntry) (err error) {
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
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, e := range extra {
		w, err := zw.Create(e.Name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, e.Body); err != nil {
			return err
		}
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: entry, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(first.Len() + int(n-1)*repeat.Len() + len(finalBlock)),
		UncompressedSize64: uint64(len(prefix)) + uint64(n)*uint64(len(chunk)),
	})
	if err != nil {
		return err
	}
	if _, err := w.Write(first.Bytes()); err != nil {
		return err
	}
	for range n - 1 {
		if _, err := w.Write(repeat.Bytes()); err != nil {
			return err
		}
	}
	if _, err := w.Write(finalBlock); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip bomb %s: %w", path, err)
	}
	return nil
}

// DOCXBombFile writes to path a valid DOCX (3 MB for 2 GiB) whose
// word/document.xml inflates to size bytes of empty paragraphs <w:p/>:
// well-formed XML that a parser without a ratio or size limit would read
// to the end.
func DOCXBombFile(path string, size int64) error {
	return ZipBombFile(path, "word/document.xml", XMLHeader+`<w:document `+WordNS+`><w:body>`, "<w:p/>", size, DOCXParts()...)
}
