package dav_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/config"
)

// The gaps of x/net/webdav and the expectations of real clients, one
// request each, against a small tree.
func TestProtocol(t *testing.T) {
	e := newEnv(t, config.DAV{})
	e.must(t, 201, req{user: "admin", method: "MKCOL", path: "/dav/Dossier"})
	e.must(t, 201, put("/dav/Dossier/a.txt", "a"))
	e.must(t, 201, put("/dav/b.txt", "b"))
	e.must(t, 201, put("/dav/c.txt", "c"))
	tests := []struct {
		name    string
		r       req
		status  int
		header  string // "Name: substring" expected in the answer
		body    string // substring expected in the body
		notBody string
	}{
		{"OPTIONS on the server root without credentials (Windows probe)", req{method: "OPTIONS", path: "/"}, 200, "Dav: 1, 2", "", ""},
		{"OPTIONS on the drive without credentials", req{method: "OPTIONS", path: "/dav/"}, 200, "Ms-Author-Via: DAV", "", ""},
		{"no credentials get a challenge", req{method: "PROPFIND", path: "/dav/", hdr: map[string]string{"Depth": "0"}}, 401, `Www-Authenticate: Basic realm="Notre Asso"`, "", ""},
		{"wrong password gets a challenge", req{user: "nobody", method: "PROPFIND", path: "/dav/", hdr: map[string]string{"Depth": "0"}}, 401, "Www-Authenticate: Basic", "", ""},
		{"PROPFIND Depth infinity is refused", propfind("/dav/", "infinity", "<D:getetag/>"), 403, "", "propfind-finite-depth", ""},
		{"PROPFIND without Depth is refused", req{user: "admin", method: "PROPFIND", path: "/dav/"}, 403, "", "propfind-finite-depth", ""},
		{"PROPFIND on a missing path is 404 (Windows)", propfind("/dav/absent", "0", "<D:getetag/>"), 404, "", "", ""},
		{"PROPFIND on a folder without trailing slash (GNOME)", propfind("/dav/Dossier", "1", "<D:resourcetype/>"), 207, "", "<D:href>/dav/Dossier/</D:href>", ""},
		{"PROPFIND with invalid XML", req{user: "admin", method: "PROPFIND", path: "/dav/", body: "<propfind", hdr: map[string]string{"Depth": "0"}}, 400, "", "", ""},
		{"MKCOL on an existing collection", req{user: "admin", method: "MKCOL", path: "/dav/Dossier"}, 405, "", "", ""},
		{"MKCOL without parent", req{user: "admin", method: "MKCOL", path: "/dav/x/y"}, 409, "", "", ""},
		{"PUT without parent", put("/dav/x/y.txt", "y"), 409, "", "", ""},
		{"PUT on a collection", put("/dav/Dossier", "y"), 405, "", "", ""},
		{"partial PUT is refused", req{user: "admin", method: "PUT", path: "/dav/b.txt", body: "z", hdr: map[string]string{"Content-Range": "bytes 0-0/1"}}, 400, "", "", ""},
		{"PUT with a stale If-Match", req{user: "admin", method: "PUT", path: "/dav/b.txt", body: "z", hdr: map[string]string{"If-Match": `"0000"`}}, 412, "", "", ""},
		{"PUT with a wrong ETag in If (golang/go#44493)", req{user: "admin", method: "PUT", path: "/dav/b.txt", body: "z", hdr: map[string]string{"If": `(["0000"])`}}, 412, "", "", ""},
		{"PUT with a malformed If", req{user: "admin", method: "PUT", path: "/dav/b.txt", body: "z", hdr: map[string]string{"If": `(<urn:x`}}, 400, "", "", ""},
		{"PROPPATCH on a collection (golang/go#43929)", req{user: "admin", method: "PROPPATCH", path: "/dav/Dossier/", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32FileAttributes>00000010</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`}, 207, "", "HTTP/1.1 200 OK", ""},
		{"PROPPATCH of a protected property", req{user: "admin", method: "PROPPATCH", path: "/dav/b.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>`}, 207, "", "cannot-modify-protected-property", ""},
		{"COPY without Overwrite replaces (golang/go#66059)", req{user: "admin", method: "COPY", path: "/dav/b.txt", hdr: map[string]string{"Destination": "/dav/c.txt"}}, 204, "", "", ""},
		{"MOVE with Overwrite F onto a file", req{user: "admin", method: "MOVE", path: "/dav/b.txt", hdr: map[string]string{"Destination": "/dav/c.txt", "Overwrite": "F"}}, 412, "", "", ""},
		{"MOVE onto itself", req{user: "admin", method: "MOVE", path: "/dav/b.txt", hdr: map[string]string{"Destination": "/dav/b.txt"}}, 403, "", "", ""},
		{"MOVE to another server", req{user: "admin", method: "MOVE", path: "/dav/b.txt", hdr: map[string]string{"Destination": "http://elsewhere.example/dav/b.txt"}}, 502, "", "", ""},
		{"MOVE to this server as the proxy names it", req{user: "admin", method: "COPY", path: "/dav/b.txt", hdr: map[string]string{"Destination": "https://docs.example.org/dav/b2.txt", "X-Forwarded-Host": "docs.example.org"}}, 201, "", "", ""},
		{"MOVE into a missing folder", req{user: "admin", method: "MOVE", path: "/dav/b.txt", hdr: map[string]string{"Destination": "/dav/absent/b.txt"}}, 409, "", "", ""},
		{"MOVE a folder into itself", req{user: "admin", method: "MOVE", path: "/dav/Dossier", hdr: map[string]string{"Destination": "/dav/Dossier/sub"}}, 409, "", "", ""},
		{"DELETE the root", req{user: "admin", method: "DELETE", path: "/dav/"}, 409, "", "", ""},
		{"DELETE a missing file", req{user: "admin", method: "DELETE", path: "/dav/absent"}, 404, "", "", ""},
		{"GET a folder lists it", req{user: "admin", method: "GET", path: "/dav/Dossier/"}, 200, "Content-Type: text/html", `href="/dav/Dossier/a.txt"`, ""},
		{"GET a range", req{user: "admin", method: "GET", path: "/dav/Dossier/a.txt", hdr: map[string]string{"Range": "bytes=0-0"}}, 206, "Content-Range: bytes 0-0/1", "a", ""},
		{"GET sandboxes user content", req{user: "admin", method: "GET", path: "/dav/Dossier/a.txt"}, 200, "Content-Security-Policy: sandbox", "", ""},
		{"unknown method", req{user: "admin", method: "POST", path: "/dav/b.txt"}, 405, "", "", ""},
		{"a path with ..", req{user: "admin", method: "PUT", path: "/dav/Dossier/%2e%2e/%2e%2e/etc", body: "x"}, 400, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.r)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if tt.header != "" {
				k, v, _ := strings.Cut(tt.header, ": ")
				if got := strings.Join(resp.Header.Values(k), ", "); !strings.Contains(got, v) {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body lacks %q:\n%s", tt.body, body)
			}
		})
	}
}

// Read-only grants give 403 on writes; paths one may not read are 404.
func TestPermissions(t *testing.T) {
	e := newEnv(t, config.DAV{})
	e.must(t, 201, put("/dav/Lecture/statuts.txt", "statuts"))
	e.must(t, 201, put("/dav/secret.txt", "secret"))
	tests := []struct {
		r      req
		status int
	}{
		{req{user: "paul", method: "GET", path: "/dav/Lecture/statuts.txt"}, 200},
		{req{user: "paul", method: "PROPFIND", path: "/dav/Lecture/", hdr: map[string]string{"Depth": "1"}}, 207},
		{req{user: "paul", method: "PUT", path: "/dav/Lecture/statuts.txt", body: "x"}, 403},
		{req{user: "paul", method: "PUT", path: "/dav/Lecture/new.txt", body: "x"}, 403},
		{req{user: "paul", method: "DELETE", path: "/dav/Lecture/statuts.txt"}, 403},
		{req{user: "paul", method: "MKCOL", path: "/dav/Lecture/sub"}, 403},
		{req{user: "paul", method: "PROPPATCH", path: "/dav/Lecture/statuts.txt", body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x>1</D:x></D:prop></D:set></D:propertyupdate>`}, 403},
		{req{user: "paul", method: "LOCK", path: "/dav/Lecture/statuts.txt", body: lockBody("exclusive")}, 403},
		{req{user: "paul", method: "MOVE", path: "/dav/Lecture/statuts.txt", hdr: map[string]string{"Destination": "/dav/Lecture/x.txt"}}, 403},
		{req{user: "paul", method: "COPY", path: "/dav/Lecture/statuts.txt", hdr: map[string]string{"Destination": "/dav/Lecture/x.txt"}}, 403},
		{req{user: "paul", method: "GET", path: "/dav/secret.txt"}, 404},
		{req{user: "paul", method: "PROPFIND", path: "/dav/secret.txt", hdr: map[string]string{"Depth": "0"}}, 404},
		{req{user: "paul", method: "DELETE", path: "/dav/secret.txt"}, 404},
		{req{user: "paul", method: "COPY", path: "/dav/secret.txt", hdr: map[string]string{"Destination": "/dav/Lecture/s.txt"}}, 404},
		{req{user: "marie", method: "PUT", path: "/dav/secret.txt", body: "marie"}, 204},
	}
	for _, tt := range tests {
		t.Run(tt.r.user+" "+tt.r.method+" "+tt.r.path, func(t *testing.T) {
			if resp, body := e.do(t, tt.r); resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
		})
	}
	// The guest's listing of the root shows only the way to its grant.
	_, body := e.must(t, 207, req{user: "paul", method: "PROPFIND", path: "/dav/", hdr: map[string]string{"Depth": "1"}})
	if strings.Contains(body, "secret") || !strings.Contains(body, "/dav/Lecture/") {
		t.Errorf("guest listing of the root:\n%s", body)
	}
}

func lockBody(scope string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:` + scope +
		`/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:marie@example.org</D:href></D:owner></D:lockinfo>`
}

var tokenRE = regexp.MustCompile(`<(urn:[^>]+)>`)

// Locks: LOCK on an unmapped URL creates an empty file (davfs2, Finder);
// writers without the token get 423; only the owner's token counts.
func TestLocks(t *testing.T) {
	e := newEnv(t, config.DAV{})
	resp, body := e.must(t, 201, req{user: "marie", method: "LOCK", path: "/dav/nouveau.odt", body: lockBody("exclusive"),
		hdr: map[string]string{"Timeout": "Second-600", "Depth": "0"}})
	token := tokenRE.FindStringSubmatch(resp.Header.Get("Lock-Token"))[1]
	if !strings.Contains(body, "mailto:marie@example.org") || !strings.Contains(body, "<D:timeout>Second-600</D:timeout>") {
		t.Errorf("lock answer:\n%s", body)
	}
	if _, got := e.must(t, 200, req{user: "marie", method: "GET", path: "/dav/nouveau.odt"}); got != "" {
		t.Errorf("LOCK created %q, want an empty file", got)
	}
	ifHdr := map[string]string{"If": "(<" + token + ">)"}
	tests := []struct {
		name   string
		r      req
		status int
	}{
		{"another user cannot write", req{user: "admin", method: "PUT", path: "/dav/nouveau.odt", body: "x"}, 423},
		{"another user cannot use the token", req{user: "admin", method: "PUT", path: "/dav/nouveau.odt", body: "x", hdr: ifHdr}, 423},
		{"the owner needs the token", req{user: "marie", method: "PUT", path: "/dav/nouveau.odt", body: "x"}, 423},
		{"nor may anyone move it", req{user: "marie", method: "MOVE", path: "/dav/nouveau.odt", hdr: map[string]string{"Destination": "/dav/autre.odt"}}, 423},
		{"a shared lock conflicts", req{user: "admin", method: "LOCK", path: "/dav/nouveau.odt", body: lockBody("shared")}, 423},
		{"the owner writes with the token", req{user: "marie", method: "PUT", path: "/dav/nouveau.odt", body: "v2", hdr: ifHdr}, 204},
		{"and sets Windows' properties", req{user: "marie", method: "PROPPATCH", path: "/dav/nouveau.odt", hdr: ifHdr, body: win32Patch}, 207},
		{"refresh", req{user: "marie", method: "LOCK", path: "/dav/nouveau.odt", hdr: map[string]string{"If": "(<" + token + ">)", "Timeout": "Second-60"}}, 200},
		{"someone else cannot unlock", req{user: "marie", method: "UNLOCK", path: "/dav/c.txt", hdr: map[string]string{"Lock-Token": "<" + token + ">"}}, 409},
		{"moving a locked file with its token", req{user: "marie", method: "MOVE", path: "/dav/nouveau.odt", hdr: map[string]string{"Destination": "/dav/renommé.odt", "If": "(<" + token + ">)"}}, 201},
		{"the lock stayed behind (RFC 4918 §7.5)", req{user: "admin", method: "PUT", path: "/dav/renommé.odt", body: "v3"}, 204},
		{"the token is gone with it", req{user: "marie", method: "UNLOCK", path: "/dav/renommé.odt", hdr: map[string]string{"Lock-Token": "<" + token + ">"}}, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp, body := e.do(t, tt.r); resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
		})
	}
	// A depth-infinity lock on a folder protects its members.
	e.must(t, 201, req{user: "admin", method: "MKCOL", path: "/dav/AG"})
	resp, _ = e.must(t, 200, req{user: "admin", method: "LOCK", path: "/dav/AG/", body: lockBody("shared")})
	shared := tokenRE.FindStringSubmatch(resp.Header.Get("Lock-Token"))[1]
	e.must(t, 200, req{user: "marie", method: "LOCK", path: "/dav/AG/", body: lockBody("shared")})
	e.must(t, 423, put("/dav/AG/pv.txt", "x"))
	e.must(t, 201, req{user: "admin", method: "PUT", path: "/dav/AG/pv.txt", body: "x", hdr: map[string]string{"If": "</dav/AG/> (<" + shared + ">)"}})
	_, body = e.must(t, 207, propfind("/dav/AG/pv.txt", "0", "<D:lockdiscovery/>"))
	if strings.Count(body, "<D:activelock>") != 2 || !strings.Contains(body, "<D:shared/>") || !strings.Contains(body, "<D:lockroot><D:href>/dav/AG</D:href>") {
		t.Errorf("lockdiscovery of a member of a shared-locked folder:\n%s", body)
	}
	e.must(t, 204, req{user: "admin", method: "UNLOCK", path: "/dav/AG/pv.txt", hdr: map[string]string{"Lock-Token": "<" + shared + ">"}})
	// However the path is spelt (trailing slash, decomposed accents), the
	// lock holds.
	e.must(t, 423, req{user: "admin", method: "DELETE", path: "/dav/AG/"})
	e.must(t, 201, req{user: "admin", method: "MKCOL", path: "/dav/%C3%89t%C3%A9"})
	e.must(t, 200, req{user: "admin", method: "LOCK", path: "/dav/%C3%89t%C3%A9", body: lockBody("exclusive")})
	e.must(t, 423, req{user: "marie", method: "DELETE", path: "/dav/E%CC%81te%CC%81/"})
}

const win32Patch = `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>` +
	`<Z:Win32CreationTime>Tue, 03 Mar 2026 09:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Wed, 04 Mar 2026 10:00:00 GMT</Z:Win32LastAccessTime>` +
	`<Z:Win32LastModifiedTime>Wed, 04 Mar 2026 10:11:12 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>` +
	`</D:prop></D:set></D:propertyupdate>`

// Properties come from metadata: the ETag of GET is getetag, the type is
// the stored one (no sniffing), times are the document's.
func TestProperties(t *testing.T) {
	e := newEnv(t, config.DAV{})
	pdf := "%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
	e.must(t, 201, req{user: "admin", method: "PUT", path: "/dav/rapport%20sans%20extension", body: pdf, hdr: map[string]string{"X-OC-Mtime": "1600000000"}})
	resp, _ := e.must(t, 200, req{user: "admin", method: "GET", path: "/dav/rapport%20sans%20extension"})
	_, body := e.must(t, 207, propfind("/dav/rapport%20sans%20extension", "0",
		`<D:getetag/><D:getcontenttype/><D:getcontentlength/><D:getlastmodified/><D:displayname/><oc:fileid/><oc:checksums/><oc:permissions/><D:nosuchprop/>`))
	for _, want := range []string{
		"<D:getetag>" + resp.Header.Get("ETag") + "</D:getetag>",
		"<D:getcontenttype>application/pdf</D:getcontenttype>",
		"<D:getcontentlength>" + itoa(len(pdf)) + "</D:getcontentlength>",
		"<D:getlastmodified>Sun, 13 Sep 2020 12:26:40 GMT</D:getlastmodified>",
		"<D:displayname>rapport sans extension</D:displayname>",
		"<oc:checksums><oc:checksum>SHA256:" + strings.Trim(resp.Header.Get("ETag"), `"`) + "</oc:checksum></oc:checksums>",
		"<oc:permissions>DNVW</oc:permissions>",
		"<D:nosuchprop/></D:prop><D:status>HTTP/1.1 404 Not Found",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("PROPFIND lacks %s:\n%s", want, body)
		}
	}
	if resp.Header.Get("Content-Type") != "application/pdf" || resp.Header.Get("Last-Modified") != "Sun, 13 Sep 2020 12:26:40 GMT" {
		t.Errorf("GET headers: %v", resp.Header)
	}
	// Windows sets its times after each upload: the modification time is applied.
	e.must(t, 207, req{user: "admin", method: "PROPPATCH", path: "/dav/rapport%20sans%20extension", body: win32Patch})
	_, body = e.must(t, 207, propfind("/dav/rapport%20sans%20extension", "0", `<D:getlastmodified/><Z:Win32FileAttributes xmlns:Z="urn:schemas-microsoft-com:"/>`))
	if !strings.Contains(body, "Wed, 04 Mar 2026 10:11:12 GMT") || !strings.Contains(body, ">00000020</x:Win32FileAttributes>") {
		t.Errorf("after Win32 PROPPATCH:\n%s", body)
	}
	// rclone's owncloud vendor sets it with DAV:lastmodified in Unix seconds.
	e.must(t, 207, req{user: "admin", method: "PROPPATCH", path: "/dav/rapport%20sans%20extension",
		body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><lastmodified xmlns="DAV:">1500000000</lastmodified></D:prop></D:set></D:propertyupdate>`})
	n, err := e.repo.Tree.Stat(context.Background(), acl.Principal{UserID: 1, Role: acl.Admin}, "/rapport sans extension")
	if err != nil || !n.ModTime.Equal(time.Unix(1500000000, 0)) {
		t.Errorf("repository mtime %v (%v), want 2017-07-14", n.ModTime, err)
	}
	// Quota, on collections (Finder asks on mount).
	_, body = e.must(t, 207, propfind("/dav/", "0", `<D:quota-available-bytes/><D:quota-used-bytes/>`))
	if !strings.Contains(body, "<D:quota-used-bytes>"+itoa(len(pdf))+"</D:quota-used-bytes>") || !strings.Contains(body, "<D:quota-available-bytes>") {
		t.Errorf("quota:\n%s", body)
	}
	// Dead properties follow a copy, and allprop shows them.
	e.must(t, 201, req{user: "admin", method: "COPY", path: "/dav/rapport%20sans%20extension", hdr: map[string]string{"Destination": "/dav/copie"}})
	_, body = e.must(t, 207, req{user: "admin", method: "PROPFIND", path: "/dav/copie", hdr: map[string]string{"Depth": "0"}})
	if !strings.Contains(body, `<x:Win32CreationTime xmlns:x="urn:schemas-microsoft-com:">Tue, 03 Mar 2026 09:00:00 GMT</x:Win32CreationTime>`) {
		t.Errorf("allprop of the copy:\n%s", body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// macOS and Windows junk files: stored, discarded or refused by setting.
func TestOSJunk(t *testing.T) {
	tests := []struct {
		policy                string
		put, get, mkcol, lock int
		stored                bool
	}{
		{"store", 201, 200, 201, 201, true},
		{"discard", 201, 404, 201, 200, false},
		{"refuse", 403, 404, 403, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			e := newEnv(t, config.DAV{OSJunk: tt.policy, MaxLockTimeout: time.Hour})
			e.must(t, tt.put, put("/dav/._Statuts.pdf", "AppleDouble"))
			e.must(t, tt.put, put("/dav/Thumbs.db", "thumbs"))
			e.must(t, tt.get, req{user: "admin", method: "GET", path: "/dav/._Statuts.pdf"})
			e.must(t, tt.mkcol, req{user: "admin", method: "MKCOL", path: "/dav/.Trashes"})
			e.must(t, tt.lock, req{user: "admin", method: "LOCK", path: "/dav/.DS_Store", body: lockBody("exclusive")})
			_, body := e.must(t, 207, propfind("/dav/", "1", "<D:resourcetype/>"))
			if strings.Contains(body, "Thumbs.db") != tt.stored {
				t.Errorf("listing (stored: %v):\n%s", tt.stored, body)
			}
		})
	}
}

// Finder uploads with chunked encoding and announces the length in
// X-Expected-Entity-Length; a body shorter than announced is refused.
func TestChunkedPut(t *testing.T) {
	e := newEnv(t, config.DAV{})
	for _, tt := range []struct {
		announced string
		status    int
	}{{"11", 201}, {"20", 400}, {"", 201}} {
		hr, _ := http.NewRequest("PUT", e.url+"/dav/finder-"+tt.announced+".txt", struct{ *strings.Reader }{strings.NewReader("hello world")})
		hr.SetBasicAuth("admin", password)
		hr.ContentLength = -1 // chunked
		if tt.announced != "" {
			hr.Header.Set("X-Expected-Entity-Length", tt.announced)
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("X-Expected-Entity-Length %q: status %d, want %d", tt.announced, resp.StatusCode, tt.status)
		}
	}
	if _, body := e.must(t, 200, req{user: "admin", method: "GET", path: "/dav/finder-11.txt"}); body != "hello world" {
		t.Errorf("stored %q", body)
	}
}

// Every WebDAV change is a repository change, journalled.
func TestJournal(t *testing.T) {
	e := newEnv(t, config.DAV{})
	for _, r := range []req{
		{user: "admin", method: "MKCOL", path: "/dav/J"},
		put("/dav/J/a.txt", "1"),
		put("/dav/J/a.txt", "2"),
		{user: "admin", method: "PROPPATCH", path: "/dav/J/a.txt", body: win32Patch},
		{user: "admin", method: "COPY", path: "/dav/J/a.txt", hdr: map[string]string{"Destination": "/dav/J/b.txt"}},
		{user: "admin", method: "MOVE", path: "/dav/J/b.txt", hdr: map[string]string{"Destination": "/dav/J/c.txt"}},
		{user: "admin", method: "DELETE", path: "/dav/J/c.txt"},
	} {
		if resp, body := e.do(t, r); resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", r.method, r.path, resp.StatusCode, body)
		}
	}
	rows, err := e.db.R.Query(`SELECT action FROM journal WHERE node_id IS NOT NULL AND action NOT IN ('user_add') ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		got = append(got, a)
	}
	want := "mkdir mkdir create version set_props copy move delete" // the first mkdir is the test's /Lecture
	if strings.Join(got, " ") != want {
		t.Errorf("journal: %v, want %s", got, want)
	}
}

// TestPropPatchOverLimit: a PROPPATCH body over the 1 MiB limit is refused
// before it is read. The server answers 413 and closes the connection, so
// a client still sending may see its write cut instead of the answer:
// both are a refusal; what matters is that nothing was stored.
func TestPropPatchOverLimit(t *testing.T) {
	e := newEnv(t, config.DAV{})
	e.do(t, req{user: "admin", method: "PUT", path: "/dav/b.txt", body: "b"})
	body := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x>` +
		strings.Repeat("x", 2<<20) + `</D:x></D:prop></D:set></D:propertyupdate>`
	hr, _ := http.NewRequest("PROPPATCH", e.url+"/dav/b.txt", strings.NewReader(body))
	hr.SetBasicAuth("admin", password)
	resp, err := http.DefaultClient.Do(hr)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	} else if !strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("PROPPATCH over the limit: %v, want 413 or the connection closed", err)
	}
	_, got := e.do(t, req{user: "admin", method: "PROPFIND", path: "/dav/b.txt", hdr: map[string]string{"Depth": "0"},
		body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:x/></D:prop></D:propfind>`})
	if strings.Contains(got, "xxxxxxxx") {
		t.Fatal("the refused property was stored")
	}
}
