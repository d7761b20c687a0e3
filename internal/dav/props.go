package dav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// ocNS is ownCloud's namespace: sync clients (rclone's owncloud vendor,
// Nextcloud and ownCloud clients) read file ids, permissions and checksums
// there.
const ocNS = "http://owncloud.org/ns"

// ncNS is Nextcloud's namespace, for the few properties its apps ask.
const ncNS = "http://nextcloud.org/ns"

// propEnv is what live properties are computed from, beyond the node:
// loaded once per PROPFIND, only when asked for.
type propEnv struct {
	prefix     string // where the drive is mounted for this request
	locks      []repo.Lock
	used, free int64
}

// liveProp is a property computed from metadata, never stored.
type liveProp struct {
	dir, file bool // applies to folders, files
	allprop   bool // part of DAV:allprop (RFC 4918 §9.1; quota and oc: are not)
	value     func(e *propEnv, n repo.Node) (string, bool)
}

func name(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

var (
	lockDiscovery = name("DAV:", "lockdiscovery")
	quotaUsed     = name("DAV:", "quota-used-bytes")
	quotaFree     = name("DAV:", "quota-available-bytes")
)

// liveProps lists the properties computed here, in the order allprop and
// propname show them.
var liveProps = []struct {
	name xml.Name
	liveProp
}{
	{name("DAV:", "resourcetype"), liveProp{true, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		if n.Dir {
			return "<D:collection/>", true
		}
		return "", true
	}}},
	{name("DAV:", "displayname"), liveProp{true, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		return xmlText(n.Name), true // Windows shows empty folders without it
	}}},
	{name("DAV:", "getcontentlength"), liveProp{false, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		return strconv.FormatInt(n.Size, 10), true
	}}},
	{name("DAV:", "getcontenttype"), liveProp{false, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		return xmlText(contentType(n)), true
	}}},
	{name("DAV:", "getetag"), liveProp{true, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		return xmlText(etag(n)), true
	}}},
	{name("DAV:", "getlastmodified"), liveProp{true, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		return modTime(n).UTC().Format(http.TimeFormat), true
	}}},
	{name("DAV:", "creationdate"), liveProp{true, true, true, func(_ *propEnv, n repo.Node) (string, bool) {
		t := n.CreatedAt
		if t.IsZero() {
			t = time.Unix(0, 0)
		}
		return t.UTC().Format(time.RFC3339), true
	}}},
	{lockDiscovery, liveProp{true, true, true, func(e *propEnv, n repo.Node) (string, bool) {
		var b strings.Builder
		for _, l := range e.locks {
			if covers(l, n.Path) {
				b.WriteString(activeLock(e.prefix, l))
			}
		}
		return b.String(), true
	}}},
	{name("DAV:", "supportedlock"), liveProp{true, true, true, func(_ *propEnv, _ repo.Node) (string, bool) {
		return `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
			`<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`, true
	}}},
	{quotaUsed, liveProp{true, false, false, func(e *propEnv, _ repo.Node) (string, bool) {
		return strconv.FormatInt(e.used, 10), true
	}}},
	{quotaFree, liveProp{true, false, false, func(e *propEnv, _ repo.Node) (string, bool) {
		return strconv.FormatInt(e.free, 10), e.free >= 0
	}}},
	{name(ocNS, "fileid"), liveProp{true, true, false, func(_ *propEnv, n repo.Node) (string, bool) {
		return strconv.FormatInt(n.ID, 10), true
	}}},
	{name(ocNS, "id"), liveProp{true, true, false, func(_ *propEnv, n repo.Node) (string, bool) {
		return FileID(n), true
	}}},
	{name(ocNS, "permissions"), liveProp{true, true, false, func(_ *propEnv, n repo.Node) (string, bool) {
		switch {
		case n.Role < acl.Editor:
			return "", true
		case n.Dir:
			return "DNVCK", true
		}
		return "DNVW", true
	}}},
	{name(ocNS, "size"), liveProp{false, true, false, func(_ *propEnv, n repo.Node) (string, bool) {
		return strconv.FormatInt(n.Size, 10), true
	}}},
	{name(ocNS, "checksums"), liveProp{false, true, false, func(_ *propEnv, n repo.Node) (string, bool) {
		return "<oc:checksum>SHA256:" + n.Hash + "</oc:checksum>", n.Hash != ""
	}}},
	// What the Nextcloud apps ask besides: no server-side previews, no
	// shares (sharing is done in the web pages), and a data fingerprint
	// that stays empty (it changes only when a server is restored from a
	// backup, which makes the apps keep local changes as conflicts).
	{name(ncNS, "has-preview"), liveProp{true, true, false, func(_ *propEnv, _ repo.Node) (string, bool) {
		return "false", true
	}}},
	{name(ocNS, "share-types"), liveProp{true, true, false, func(_ *propEnv, _ repo.Node) (string, bool) {
		return "", true
	}}},
	{name(ocNS, "data-fingerprint"), liveProp{true, true, false, func(_ *propEnv, _ repo.Node) (string, bool) {
		return "", true
	}}},
}

// isLive reports whether a name is a property computed here, whatever the
// node.
func isLive(pn xml.Name) bool {
	for _, lp := range liveProps {
		if lp.name == pn {
			return true
		}
	}
	return false
}

// readable reports whether the caller may see more than the node's name.
func readable(n repo.Node) bool { return n.Role >= acl.Viewer }

// href is a path as a URL path under the drive (mounted at prefix), escaped, with a trailing
// slash for folders.
func href(prefix, p string, dir bool) string {
	h := (&url.URL{Path: prefix + p}).EscapedPath()
	if dir && !strings.HasSuffix(h, "/") {
		h += "/"
	}
	return xmlText(h)
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\r", "&#xD;", "\n", "&#xA;", "\t", "&#x9;")
)

// xmlText escapes character data; quotes stay as they are, so ETags read
// "…" even to clients that do not decode entities.
func xmlText(s string) string { return textEscaper.Replace(s) }

// xmlAttr escapes an attribute value written between double quotes.
func xmlAttr(s string) string { return attrEscaper.Replace(s) }

// selfContained re-encodes the content of start (up to its end element)
// so that it declares every namespace it uses and can be embedded in any
// response: a client's <owner> may use prefixes declared on its root.
func selfContained(d *xml.Decoder, start xml.StartElement) ([]byte, error) {
	var b bytes.Buffer
	var open []xml.Name
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t.Name)
			b.WriteString("<" + startTag(t.Name))
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local != "xmlns":
					fmt.Fprintf(&b, ` %s="%s"`, a.Name.Local, xmlAttr(a.Value))
				case a.Name.Space == "http://www.w3.org/XML/1998/namespace":
					fmt.Fprintf(&b, ` xml:%s="%s"`, a.Name.Local, xmlAttr(a.Value))
				}
			}
			b.WriteString(">")
		case xml.EndElement:
			if len(open) == 0 {
				return b.Bytes(), nil
			}
			b.WriteString("</" + endTag(open[len(open)-1]) + ">")
			open = open[:len(open)-1]
		case xml.CharData:
			xml.EscapeText(&b, t)
		}
	}
}

// startTag and endTag name an element in our responses: DAV: and oc: have
// prefixes declared on the root; any other namespace is declared on the
// element itself, with a prefix so that the default namespace stays empty
// for the property values embedded inside.
func startTag(n xml.Name) string {
	switch n.Space {
	case "DAV:":
		return "D:" + n.Local
	case ocNS:
		return "oc:" + n.Local
	case ncNS:
		return "nc:" + n.Local
	case "":
		return n.Local
	}
	return "x:" + n.Local + ` xmlns:x="` + xmlAttr(n.Space) + `"`
}

func endTag(n xml.Name) string {
	switch n.Space {
	case "DAV:":
		return "D:" + n.Local
	case ocNS:
		return "oc:" + n.Local
	case ncNS:
		return "nc:" + n.Local
	case "":
		return n.Local
	}
	return "x:" + n.Local
}
