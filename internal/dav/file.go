package dav

import (
	"context"
	"encoding/xml"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"notreasso/internal/repo"
)

// file is an opened node, as x/net/webdav handles it for PROPPATCH and
// DELETE. It holds the request's ctx because webdav.File's methods take
// none.
type file struct {
	ctx  context.Context
	fs   *fileSystem
	node repo.Node
}

var _ webdav.DeadPropsHolder = (*file)(nil)

func (f *file) Close() error                       { return nil }
func (f *file) Read([]byte) (int, error)           { return 0, fs.ErrInvalid }
func (f *file) Write([]byte) (int, error)          { return 0, fs.ErrInvalid }
func (f *file) Seek(int64, int) (int64, error)     { return 0, fs.ErrInvalid }
func (f *file) Readdir(int) ([]fs.FileInfo, error) { return nil, fs.ErrInvalid }
func (f *file) Stat() (fs.FileInfo, error)         { return fileInfo{f.node}, nil }

// DeadProps returns the properties clients stored with PROPPATCH.
func (f *file) DeadProps() (map[xml.Name]webdav.Property, error) {
	_, props, err := f.fs.repo.DAV.DeadProps(f.ctx, f.fs.p, f.node.Path)
	if err != nil {
		return nil, f.fs.osErr("props", f.node.Path, err)
	}
	out := make(map[xml.Name]webdav.Property, len(props))
	for _, d := range props {
		name := xml.Name{Space: d.Space, Local: d.Local}
		out[name] = webdav.Property{XMLName: name, Lang: d.Lang, InnerXML: d.XML}
	}
	return out, nil
}

// Patch stores a PROPPATCH in one repository transaction. Properties that
// stand for the modification time (Windows' Win32LastModifiedTime,
// rclone's and ownCloud's lastmodified) are stored and applied to the file.
func (f *file) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	var pp repo.PropPatch
	ok := webdav.Propstat{Status: http.StatusOK}
	for _, patch := range patches {
		for _, p := range patch.Props {
			d := repo.DeadProp{Space: p.XMLName.Space, Local: p.XMLName.Local, Lang: p.Lang, XML: p.InnerXML}
			pp.Ops = append(pp.Ops, repo.PropOp{Remove: patch.Remove, Prop: d})
			ok.Props = append(ok.Props, webdav.Property{XMLName: p.XMLName})
			if t, isTime := mtimeProp(d); isTime && !patch.Remove {
				pp.ModTime = t
			}
		}
	}
	if _, err := f.fs.repo.DAV.PatchProps(f.ctx, f.fs.p, f.node.Path, pp); err != nil {
		return nil, f.fs.osErr("proppatch", f.node.Path, err)
	}
	return []webdav.Propstat{ok}, nil
}

const msNS = "urn:schemas-microsoft-com:"

// mtimeProp recognises a property that sets the modification time.
func mtimeProp(d repo.DeadProp) (time.Time, bool) {
	v := strings.TrimSpace(string(d.XML))
	switch {
	case d.Space == msNS && d.Local == "Win32LastModifiedTime":
		t, err := http.ParseTime(v)
		return t, err == nil
	case d.Space == "DAV:" && d.Local == "lastmodified":
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(sec, 0), true
		}
		t, err := http.ParseTime(v)
		return t, err == nil
	}
	return time.Time{}, false
}
