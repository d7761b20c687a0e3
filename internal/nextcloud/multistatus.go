package nextcloud

import (
	"bufio"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// multistatus writes the small PROPFIND answers of the uploads
// collection (the files drive uses internal/dav's encoder).
type multistatus struct{ w *bufio.Writer }

func newMultistatus(w http.ResponseWriter) *multistatus {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	ms := &multistatus{w: bufio.NewWriter(w)}
	ms.w.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<d:multistatus xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">`)
	return ms
}

func (m *multistatus) response(href, props string) {
	m.w.WriteString("<d:response><d:href>")
	xml.EscapeText(m.w, []byte((&url.URL{Path: href}).EscapedPath()))
	m.w.WriteString("</d:href><d:propstat><d:prop>" + props + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>")
}

func (m *multistatus) dir(href string, mod time.Time) {
	m.response(href, "<d:resourcetype><d:collection/></d:resourcetype><d:getlastmodified>"+mod.UTC().Format(http.TimeFormat)+"</d:getlastmodified>")
}

func (m *multistatus) file(href string, size int64, mod time.Time) {
	m.response(href, "<d:resourcetype/><d:getcontentlength>"+strconv.FormatInt(size, 10)+"</d:getcontentlength><oc:size>"+
		strconv.FormatInt(size, 10)+"</oc:size><d:getlastmodified>"+mod.UTC().Format(http.TimeFormat)+"</d:getlastmodified>"+
		`<d:getetag>"`+strconv.FormatInt(size, 16)+"-"+strconv.FormatInt(mod.UnixNano(), 16)+`"</d:getetag>`)
}

func (m *multistatus) close() error {
	m.w.WriteString("</d:multistatus>\n")
	return m.w.Flush()
}
