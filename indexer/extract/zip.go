package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/net/html/charset"
)

// errZipBomb marks an archive refused by the zip limits.
var errZipBomb = errors.New("zip bomb suspected")

// ratioCheckAfter is how many bytes an entry may produce before its
// compression ratio is judged: small entries legitimately compress a lot.
const ratioCheckAfter = 1 << 20

// zipDoc is an OOXML or ODF archive opened under the zip limits. Headers
// are not trusted: the entry count is checked on the end-of-directory
// record before the central directory is parsed, and sizes and ratios are
// measured on the bytes actually read and decompressed.
type zipDoc struct {
	j            *job
	files        map[string]*zip.File
	decompressed int64 // all entries together
}

func openZip(j *job) (*zipDoc, error) {
	if n, ok := zipEntryCount(j.r, j.size); ok && n > j.lim.MaxZipEntries {
		return nil, fmt.Errorf("%w: %d entries (limit %d)", errZipBomb, n, j.lim.MaxZipEntries)
	}
	zr, err := zip.NewReader(j.r, j.size)
	if err != nil {
		return nil, fmt.Errorf("open zip: %w", err)
	}
	if len(zr.File) > j.lim.MaxZipEntries {
		return nil, fmt.Errorf("%w: %d entries (limit %d)", errZipBomb, len(zr.File), j.lim.MaxZipEntries)
	}
	z := &zipDoc{j: j, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		z.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return z, nil
}

// zipEntryCount reads the total entry count from the end-of-central-
// directory record, so that an archive announcing millions of entries is
// refused before zip.NewReader allocates a header for each. ok is false
// when the record is not found (the caller then relies on zip.NewReader)
// or the count is in a ZIP64 record.
func zipEntryCount(r io.ReaderAt, size int64) (int, bool) {
	const eocdLen, maxComment = 22, 65535
	tail := int64(eocdLen + maxComment)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n := binary.LittleEndian.Uint16(buf[i+10:])
	if n == 0xFFFF {
		return 0, false
	}
	return int(n), true
}

// has reports whether the archive holds an entry.
func (z *zipDoc) has(name string) bool { _, ok := z.files[name]; return ok }

// names returns the entries under dir whose base name starts with prefix
// and ends with suffix, in archive order.
func (z *zipDoc) names(dir, prefix, suffix string) []string {
	var out []string
	for name := range z.files {
		if path.Dir(name) == dir && strings.HasPrefix(path.Base(name), prefix) && strings.HasSuffix(name, suffix) {
			out = append(out, name)
		}
	}
	return out
}

// open returns a reader of an entry's decompressed bytes, guarded by the
// zip limits. The decompressor is fed through a counter so the ratio uses
// compressed bytes really consumed, not the header's claims.
func (z *zipDoc) open(name string) (io.ReadCloser, error) {
	f, ok := z.files[name]
	if !ok {
		return nil, fmt.Errorf("open %s: entry not found", name)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	compressed := &countingReader{r: raw}
	var data io.ReadCloser
	switch f.Method {
	case zip.Store:
		data = io.NopCloser(compressed)
	case zip.Deflate:
		data = flate.NewReader(compressed)
	default:
		return nil, fmt.Errorf("open %s: unsupported compression method %d", name, f.Method)
	}
	return &bombGuard{z: z, name: name, data: data, compressed: compressed}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bombGuard stops decompression as soon as an entry or the archive goes
// over the limits. It never asks the decompressor for more than one byte
// past the archive's remaining budget, so at most MaxZipTotal+1 bytes are
// ever inflated.
type bombGuard struct {
	z          *zipDoc
	name       string
	data       io.ReadCloser
	compressed *countingReader
	n          int64
}

func (g *bombGuard) Read(p []byte) (int, error) {
	lim := g.z.j.lim
	remaining := lim.MaxZipTotal - g.z.decompressed
	if int64(len(p)) > remaining+1 {
		p = p[:remaining+1]
	}
	n, err := g.data.Read(p)
	g.n += int64(n)
	g.z.decompressed += int64(n)
	if g.z.decompressed > lim.MaxZipTotal {
		return 0, fmt.Errorf("%w: more than %d bytes decompressed (reading %s)", errZipBomb, lim.MaxZipTotal, g.name)
	}
	if g.n > ratioCheckAfter {
		if ratio := float64(g.n) / float64(max(g.compressed.n, 1)); ratio > lim.MaxZipRatio {
			return 0, fmt.Errorf("%w: %s expands %.0f:1 (limit %.0f:1)", errZipBomb, g.name, ratio, lim.MaxZipRatio)
		}
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decompress %s: %w", g.name, err)
	}
	return n, err
}

func (g *bombGuard) Close() error { return g.data.Close() }

// xmlVisitor receives the tokens of an XML entry. It may call dec.Skip to
// ignore an element's content.
type xmlVisitor func(dec *xml.Decoder, tok xml.Token) error

// walkXML streams the tokens of an XML entry to visit. encoding/xml does
// not expand custom DTD entities, so "billion laughs" documents cannot
// inflate here; their size is bounded by the zip limits anyway.
func (z *zipDoc) walkXML(name string, visit xmlVisitor) error {
	rc, err := z.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.CharsetReader = charset.NewReaderLabel
	for {
		if err := z.j.ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		if err := visit(dec, tok); err != nil {
			return err
		}
	}
}

// rel is one OPC relationship, its target resolved to an archive path.
type rel struct{ id, kind, target string }

// rels reads the relationships of an OPC part ("" for the package itself),
// e.g. "xl/workbook.xml" → "xl/_rels/workbook.xml.rels". External targets
// (hyperlinks) are left out.
func (z *zipDoc) rels(part string) ([]rel, error) {
	dir, relsName := "", "_rels/.rels"
	if part != "" {
		dir = path.Dir(part)
		relsName = path.Join(dir, "_rels", path.Base(part)+".rels")
	}
	if !z.has(relsName) {
		return nil, nil
	}
	var out []rel
	err := z.walkXML(relsName, func(_ *xml.Decoder, tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" && attr(se, "TargetMode") != "External" {
			out = append(out, rel{id: attr(se, "Id"), kind: path.Base(attr(se, "Type")), target: resolvePart(dir, attr(se, "Target"))})
		}
		return nil
	})
	return out, err
}

// resolvePart turns a relationship target into an archive path.
func resolvePart(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Join(dir, target), "/")
}

// attr returns the value of the attribute with this local name.
func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
