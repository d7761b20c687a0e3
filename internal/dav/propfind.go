package dav

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"

	"notreasso/internal/repo"
)

// propfindReq is a parsed PROPFIND body.
type propfindReq struct {
	allprop  bool
	propname bool
	names    []xml.Name // DAV:prop, or DAV:include with allprop
}

// wantsDead reports whether stored properties are needed.
func (pf propfindReq) wantsDead() bool {
	if pf.allprop || pf.propname {
		return true
	}
	for _, n := range pf.names {
		if !isLive(n) {
			return true
		}
	}
	return false
}

func (pf propfindReq) wants(n xml.Name) bool {
	if pf.propname {
		return false
	}
	for _, m := range pf.names {
		if m == n {
			return true
		}
	}
	return pf.allprop && n == lockDiscovery
}

// parsePropfind reads a PROPFIND body; an empty one means allprop.
func parsePropfind(r io.Reader) (propfindReq, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxXML+1))
	if err != nil {
		return propfindReq{}, fmt.Errorf("%w: reading the body: %v", errBadRequest, err)
	}
	if len(body) > maxXML {
		return propfindReq{}, fmt.Errorf("%w: PROPFIND body over %d bytes", repo.ErrTooLarge, maxXML)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return propfindReq{allprop: true}, nil
	}
	bad := func(format string, a ...any) (propfindReq, error) {
		return propfindReq{}, fmt.Errorf("%w: propfind: "+format, append([]any{errBadRequest}, a...)...)
	}
	var pf propfindReq
	var prop, include bool
	var section xml.Name
	d := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return bad("empty namespace declaration for prefix %q", a.Name.Local)
				}
			}
			switch depth {
			case 1:
				if t.Name != name("DAV:", "propfind") {
					return bad("the root element is %s, not DAV:propfind", t.Name.Local)
				}
			case 2:
				section = t.Name
				switch t.Name {
				case name("DAV:", "allprop"):
					pf.allprop = true
				case name("DAV:", "propname"):
					pf.propname = true
				case name("DAV:", "prop"):
					prop = true
				case name("DAV:", "include"):
					include = true
				}
			case 3:
				if section == name("DAV:", "prop") || section == name("DAV:", "include") {
					pf.names = append(pf.names, t.Name)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	switch {
	case pf.allprop && (prop || pf.propname), pf.propname && prop, include && !pf.allprop:
		return bad("allprop, propname and prop exclude each other")
	case !pf.allprop && !pf.propname && !prop:
		return bad("needs allprop, propname or prop")
	case prop && len(pf.names) == 0:
		return bad("an empty prop")
	}
	return pf, nil
}

// propfind answers Depth 0 and 1 from one repository listing, streamed
// through a hand-written encoder: x/net/webdav walks and opens every file,
// 5 s for a 10 000-file folder. Depth infinity is refused (RFC 4918 §9.1).
func (rq *request) propfind() error {
	depth := 0
	switch rq.r.Header.Get("Depth") {
	case "0":
	case "1":
		depth = 1
	case "", "infinity":
		return withCondition(errInfinite, "propfind-finite-depth", "")
	default:
		return fmt.Errorf("%w: Depth must be 0 or 1", errBadRequest)
	}
	pf, err := parsePropfind(rq.r.Body)
	if err != nil {
		return err
	}
	l, err := rq.h.repo.DAV.ListDAV(rq.ctx, rq.p, rq.path, depth, pf.wantsDead())
	if err != nil {
		return err
	}
	env := &propEnv{prefix: rq.prefix, free: -1}
	if pf.wants(lockDiscovery) {
		if env.locks, err = rq.h.repo.DAV.Locks(rq.ctx, rq.p); err != nil {
			return err
		}
	}
	if pf.wants(quotaUsed) || pf.wants(quotaFree) {
		if env.used, env.free, err = rq.h.repo.DAV.Usage(rq.ctx, rq.p); err != nil {
			return err
		}
	}
	rq.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	rq.w.WriteHeader(http.StatusMultiStatus)
	bw := bufio.NewWriterSize(rq.w, 32<<10)
	bw.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus xmlns:D="DAV:" xmlns:oc="` + ocNS + `" xmlns:nc="` + ncNS + `">`)
	var scratch bytes.Buffer
	plans := planProps(pf.names)
	writeResponse(bw, &scratch, env, pf, plans, l.Node, l.Props[l.Node.ID])
	for _, n := range l.Children {
		writeResponse(bw, &scratch, env, pf, plans, n, l.Props[n.ID])
	}
	bw.WriteString("</D:multistatus>\n")
	return bw.Flush()
}

// propPlan is what a PROPFIND's listing needs about one asked property,
// worked out once per request rather than once per node.
type propPlan struct {
	name       xml.Name
	start, end string // the tag's names, namespace declared where needed
	live       int    // index in liveProps; -1 for a dead property
	repeated   bool   // asked before in the same list
}

func planProps(names []xml.Name) []propPlan {
	plans := make([]propPlan, len(names))
	for i, pn := range names {
		plans[i] = propPlan{name: pn, start: startTag(pn), end: endTag(pn), live: -1, repeated: slices.Contains(names[:i], pn)}
		for j, lp := range liveProps {
			if lp.name == pn {
				plans[i].live = j
				break
			}
		}
	}
	return plans
}

// writeResponse writes one node's D:response: found properties under 200,
// unknown ones under 404. found is scratch space, reused from node to node;
// plans are pf.names', in the same order.
func writeResponse(w *bufio.Writer, found *bytes.Buffer, env *propEnv, pf propfindReq, plans []propPlan, n repo.Node, dead []repo.DeadProp) {
	w.WriteString("<D:response><D:href>")
	w.WriteString(href(env.prefix, n.Path, n.Dir))
	w.WriteString("</D:href>")
	if !readable(n) {
		dead = nil
	}
	found.Reset()
	var missing []xml.Name
	emitTags := func(start, end, lang, inner string) {
		found.WriteByte('<')
		found.WriteString(start)
		if lang != "" {
			found.WriteString(` xml:lang="`)
			found.WriteString(xmlAttr(lang))
			found.WriteByte('"')
		}
		if inner == "" {
			found.WriteString("/>")
			return
		}
		found.WriteByte('>')
		found.WriteString(inner)
		found.WriteString("</")
		found.WriteString(end)
		found.WriteByte('>')
	}
	emit := func(pn xml.Name, lang, inner string) { emitTags(startTag(pn), endTag(pn), lang, inner) }
	// liveAt is the value of liveProps[j] for n, if it has one and the
	// caller may see it (traversal-only nodes show their name only).
	liveAt := func(j int) (string, bool) {
		lp := liveProps[j]
		if !(n.Dir && lp.dir || !n.Dir && lp.file) ||
			(!readable(n) && lp.name.Local != "resourcetype" && lp.name.Local != "displayname") {
			return "", false
		}
		return lp.value(env, n)
	}
	liveValue := func(pn xml.Name) (string, bool) {
		for j, lp := range liveProps {
			if lp.name == pn {
				return liveAt(j)
			}
		}
		return "", false
	}
	deadValue := func(pn xml.Name) (repo.DeadProp, bool) {
		for _, d := range dead {
			if d.Space == pn.Space && d.Local == pn.Local {
				return d, true
			}
		}
		return repo.DeadProp{}, false
	}
	switch {
	case pf.propname:
		for _, lp := range liveProps {
			if _, ok := liveValue(lp.name); ok {
				emit(lp.name, "", "")
			}
		}
		for _, d := range dead {
			if !isLive(name(d.Space, d.Local)) {
				emit(name(d.Space, d.Local), "", "")
			}
		}
	default:
		var seen map[xml.Name]bool // what allprop already gave
		if pf.allprop {
			seen = map[xml.Name]bool{}
			for _, lp := range liveProps {
				if v, ok := liveValue(lp.name); ok && lp.allprop {
					emit(lp.name, "", v)
					seen[lp.name] = true
				}
			}
			for _, d := range dead {
				if pn := name(d.Space, d.Local); !isLive(pn) {
					emit(pn, d.Lang, string(d.XML))
					seen[pn] = true
				}
			}
		}
		for _, pl := range plans {
			if pl.repeated || seen[pl.name] {
				continue
			}
			if pl.live >= 0 {
				if v, ok := liveAt(pl.live); ok {
					emitTags(pl.start, pl.end, "", v)
					continue
				}
			} else if d, ok := deadValue(pl.name); ok {
				emitTags(pl.start, pl.end, d.Lang, string(d.XML))
				continue
			}
			missing = append(missing, pl.name)
		}
	}
	if found.Len() > 0 || len(missing) == 0 {
		w.WriteString("<D:propstat><D:prop>")
		w.Write(found.Bytes())
		w.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
	}
	if len(missing) > 0 {
		w.WriteString("<D:propstat><D:prop>")
		for _, pn := range missing {
			w.WriteByte('<')
			w.WriteString(startTag(pn))
			w.WriteString("/>")
		}
		w.WriteString("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>")
	}
	w.WriteString("</D:response>")
}
