package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/testdb"
)

// cluster is two `notreasso serve` processes sharing one PostgreSQL
// database and one S3 bucket (versitygw), each with its own data
// directory (search index, spool), as behind a load balancer.
type cluster struct {
	a, b *server.Server
	opts server.Options // to start another server of the cluster
}

func newCluster(t *testing.T, env ...string) cluster {
	t.Helper()
	db := testdb.NewPostgres(t)
	s3 := s3server.New(t)
	o := server.Options{Backend: "s3", S3: s3, Database: db, Env: env}
	return cluster{a: server.Start(t, o), b: server.Start(t, o), opts: o}
}

// What one server does, the other sees at once: a file, its download, its
// search (the delay is logged), a WebDAV lock, a session, a grant removed.
func TestClusterTwoServers(t *testing.T) {
	cl := newCluster(t)
	adminA, adminB := admin(t, cl.a), admin(t, cl.b)

	// A file uploaded on A is listed and downloaded on B.
	if st := adminA.call("POST", "/api/v1/folders/Bureau", nil, nil); st != 201 {
		t.Fatalf("mkdir on A: %d", st)
	}
	content := []byte("Procès-verbal de l'assemblée : le mot hippocampe figure ici.")
	if st, _ := adminA.put("/Bureau/pv.txt", content); st != 201 {
		t.Fatalf("put on A: %d", st)
	}
	var list struct {
		Children []node `json:"children"`
	}
	if st := adminB.call("GET", "/api/v1/list/Bureau", nil, &list); st != 200 || len(list.Children) != 1 || list.Children[0].Name != "pv.txt" {
		t.Fatalf("list on B: %d %+v", st, list)
	}
	if st, got, _ := adminB.get("/Bureau/pv.txt", nil); st != 200 || string(got) != string(content) {
		t.Fatalf("download on B: %d %q", st, got)
	}
	// …and found by B's own search index, which follows the shared journal.
	start := time.Now()
	for {
		if st, r := adminB.search("hippocampe"); st == 200 && len(r.Hits) == 1 {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("B's search never found the file uploaded on A")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("uploaded on A, found by B's search %s later", time.Since(start).Round(time.Millisecond))

	// A WebDAV lock taken on A holds on B.
	token := davLock(t, adminA, "/Bureau/pv.txt", "0")
	resp := adminB.do("PUT", "/dav/Bureau/pv.txt", strings.NewReader("écrasé"), nil)
	resp.Body.Close()
	if resp.StatusCode != 423 {
		t.Errorf("PUT on B without the token of A's lock: %d, want 423", resp.StatusCode)
	}
	resp = adminB.do("PUT", "/dav/Bureau/pv.txt", strings.NewReader("nouvelle version, toujours avec l’hippocampe"), map[string]string{"If": "(<" + token + ">)"})
	resp.Body.Close()
	if resp.StatusCode != 204 && resp.StatusCode != 201 {
		t.Errorf("PUT on B with the token of A's lock: %d", resp.StatusCode)
	}

	// A session opened on A is valid on B (cookies ignore the port).
	adminA.call("POST", "/api/v1/admin/users", map[string]any{"login": "paul", "password": userPassword, "role": "guest"}, nil)
	br := newBrowser(t, cl.a)
	if st := br.login("paul", userPassword); st != 200 {
		t.Fatalf("login on A: %d", st)
	}
	br.base = cl.b.URL
	if st, body, _ := br.do("GET", "/api/v1/me", nil, nil); st != 200 || !strings.Contains(body, `"paul"`) {
		t.Errorf("A's session cookie on B: %d %s", st, body)
	}

	// A grant removed on A hides the folder on B at once: listing, search.
	if st := adminA.call("POST", "/api/v1/grants/Bureau", map[string]any{"principal": "user:paul", "role": "viewer"}, nil); st != 200 {
		t.Fatalf("grant: %d", st)
	}
	paulB := newClient(t, cl.b, "paul", userPassword)
	if st := paulB.call("GET", "/api/v1/list/Bureau", nil, nil); st != 200 {
		t.Fatalf("paul lists the granted folder on B: %d", st)
	}
	waitFound(t, paulB, "hippocampe", "/Bureau/pv.txt")
	if st := adminA.call("DELETE", "/api/v1/grants/Bureau?principal="+url.QueryEscape("user:paul"), nil, nil); st != 200 && st != 204 {
		t.Fatalf("revoke on A: %d", st)
	}
	if st := paulB.call("GET", "/api/v1/list/Bureau", nil, nil); st != 404 && st != 403 {
		t.Errorf("paul lists the folder on B right after the revoke on A: %d", st)
	}
	if st, r := paulB.search("hippocampe"); st != 200 || len(r.Hits) != 0 {
		t.Errorf("paul's search on B right after the revoke on A: %d %+v", st, r.Hits)
	}
	if st, body, _ := br.do("GET", "/api/v1/activity", nil, nil); strings.Contains(body, "pv.txt") {
		t.Errorf("paul's activity on B names the hidden file: %d %s", st, body)
	}
}

// Wrong passwords spread over both servers are throttled as on one.
func TestClusterThrottleAsOne(t *testing.T) {
	cl := newCluster(t)
	var refused, throttled int
	for i := range 12 {
		srv := []*server.Server{cl.a, cl.b}[i%2]
		c := newClient(t, srv, "admin", fmt.Sprintf("devine-%d", i))
		resp := c.do("GET", "/api/v1/me", nil, nil)
		resp.Body.Close()
		switch resp.StatusCode {
		case 401:
			refused++
		case 429:
			throttled++
		default:
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	if refused > 5 || throttled == 0 {
		t.Errorf("12 wrong passwords alternating between two servers: %d refused, %d throttled; one server refuses 5", refused, throttled)
	}
}

// The scheduled sweep and purge run on one server per period; a server
// killed in the middle of uploads leaves the other serving and the
// repository consistent.
func TestClusterMaintenanceAndCrash(t *testing.T) {
	cl := newCluster(t, "NOTREASSO_GC_INTERVAL=2s", "NOTREASSO_GC_GRACE=1s", "NOTREASSO_RETENTION_INTERVAL=2s")
	adminA, adminB := admin(t, cl.a), admin(t, cl.b)
	for _, d := range []string{"Archives", "Vrac"} {
		if st := adminA.call("POST", "/api/v1/folders/"+d, nil, nil); st != 201 {
			t.Fatalf("mkdir %s: %d", d, st)
		}
	}
	for i := range 5 {
		if st, _ := adminA.put(fmt.Sprintf("/Archives/f%d.txt", i), []byte(fmt.Sprintf("fichier %d", i))); st != 201 {
			t.Fatalf("put: %d", st)
		}
	}
	// Overwrite and delete, so the sweep has something to remove.
	adminB.put("/Archives/f0.txt", []byte("fichier 0, version 2"))
	start := time.Now()
	time.Sleep(9 * time.Second)
	elapsed := time.Since(start)
	sweeps := strings.Count(cl.a.Output(), "unused content swept") + strings.Count(cl.b.Output(), "unused content swept")
	left := strings.Count(cl.a.Output(), "maintenance left to another server") + strings.Count(cl.b.Output(), "maintenance left to another server")
	if periods := int(elapsed/(2*time.Second)) + 2; sweeps == 0 || sweeps > periods || left == 0 {
		t.Errorf("in %s with a 2 s period: %d sweeps on the two servers (at most %d), %d left to the other", elapsed.Round(time.Second), sweeps, periods, left)
	}
	for i := range 5 {
		if st, _, _ := adminB.get(fmt.Sprintf("/Archives/f%d.txt", i), nil); st != 200 {
			t.Errorf("f%d after the sweeps: %d", i, st)
		}
	}

	// Kill A while uploads stream to it.
	var wg sync.WaitGroup
	var sent atomic.Int32
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, cl.a, "admin", server.AdminPassword)
			c.hc.Timeout = 5 * time.Second
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := c.base + fmt.Sprintf("/api/v1/files/Vrac/w%d-%d.bin", w, i)
				if resp, err := c.hc.Do(mustRequest("PUT", req, strings.NewReader(strings.Repeat("x", 200<<10)), "admin", server.AdminPassword)); err == nil {
					resp.Body.Close()
					sent.Add(1)
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	cl.a.Kill()
	close(stop)
	wg.Wait()
	t.Logf("A killed after %d uploads", sent.Load())
	if st, _ := adminB.put("/Vrac/après.txt", []byte("B sert toujours")); st != 201 {
		t.Errorf("upload on B after A died: %d", st)
	}
	if st := adminB.call("GET", "/api/v1/list/Vrac", nil, nil); st != 200 {
		t.Errorf("list on B after A died: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := cl.b.Run(ctx, nil, "check")
	if err != nil || strings.Contains(out, "ERROR") {
		t.Errorf("check after A was killed: %v\n%s", err, out)
	}
}

// Uploads in progress and extracted texts are shared: a sync app's chunked
// upload and the web UI's resumable upload started on A go on and commit on
// B, a request cut on one server is resumed on the other, and a PDF
// uploaded on A is found by B's search, extracted once in the cluster; a
// server started later indexes it without extracting it.
func TestClusterSharedUploadsAndTexts(t *testing.T) {
	cl := newCluster(t)
	adminA, adminB := admin(t, cl.a), admin(t, cl.b)
	if st := adminA.call("POST", "/api/v1/folders/Bureau", nil, nil); st != 201 {
		t.Fatalf("mkdir on A: %d", st)
	}
	data := make([]byte, 4<<20+4321)
	rand.Read(data)
	cut := func(srv *server.Server, head string, body []byte) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(conn, head)
		conn.Write(body)
		time.Sleep(300 * time.Millisecond)
		conn.Close()
	}

	// The sync apps' chunking v2: MKCOL and chunks 1–2 on A, chunk 3 cut
	// on A, then chunks 3–4 and MOVE .file on B.
	const up = "/remote.php/dav/uploads/admin/cluster-1"
	dest := cl.b.URL + "/remote.php/dav/files/admin/Bureau/gros.bin"
	if resp := adminA.do("MKCOL", up, nil, map[string]string{"Destination": dest}); resp.StatusCode != 201 {
		t.Fatalf("MKCOL on A: %d", resp.StatusCode)
	}
	chunk := func(i int) []byte { return data[min(i*(1<<20), len(data)):min((i+1)*(1<<20), len(data))] }
	for i := range 2 {
		if resp := adminA.do("PUT", fmt.Sprintf("%s/%05d", up, i+1), bytes.NewReader(chunk(i)), nil); resp.StatusCode != 201 {
			t.Fatalf("chunk %d on A: %d", i+1, resp.StatusCode)
		}
	}
	cut(cl.a, fmt.Sprintf("PUT %s/00003 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n",
		up, basic("admin", server.AdminPassword), len(chunk(2))), chunk(2)[:100000])
	resp := adminB.do("PROPFIND", up, nil, map[string]string{"Depth": "1"})
	listing, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 207 || strings.Count(string(listing), "<d:getcontentlength>") != 2 {
		t.Fatalf("B lists the chunks A received: %d %s", resp.StatusCode, listing)
	}
	for i := 2; i*(1<<20) < len(data); i++ {
		if resp := adminB.do("PUT", fmt.Sprintf("%s/%05d", up, i+1), bytes.NewReader(chunk(i)), nil); resp.StatusCode != 201 {
			t.Fatalf("chunk %d on B: %d", i+1, resp.StatusCode)
		}
	}
	resp = adminB.do("MOVE", up+"/.file", nil, map[string]string{"Destination": dest, "OC-Total-Length": fmt.Sprint(len(data))})
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("MOVE .file on B: %d", resp.StatusCode)
	}
	if st, got, _ := adminA.get("/Bureau/gros.bin", nil); st != 200 || sum(got) != sum(data) {
		t.Fatalf("the chunked upload read on A: %d, %d bytes, hash %s, want %s", st, len(got), sum(got), sum(data))
	}

	// The web UI's resumable upload: started on A, a chunk cut on A, the
	// rest on B, committed on B.
	var st uploadState
	size := int64(len(data))
	if code := adminA.call("POST", "/api/v1/uploads", map[string]any{"path": "/Bureau/film.bin", "size": size}, &st); code != 201 {
		t.Fatalf("create on A: %d", code)
	}
	if code, s := adminA.chunk(st.ID, data[:1<<20], 0, size); code != 200 || s.Offset != 1<<20 {
		t.Fatalf("first chunk on A: %d %+v", code, s)
	}
	cut(cl.a, fmt.Sprintf("PUT /api/v1/uploads/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n",
		st.ID, basic("admin", server.AdminPassword), 1<<20, 2<<20-1, size, 1<<20), data[1<<20:1<<20+300000])
	var got uploadState
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code := adminB.call("GET", "/api/v1/uploads/"+st.ID, nil, &got); code == 200 && got.Offset == 1<<20+300000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's offset after the cut on A: %+v, want %d", got, 1<<20+300000)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A's request may still be ending (its claim on the upload released
	// after the part it kept is visible): B answers « busy » (409) until
	// then, and the client retries, as upload.js does.
	for off := got.Offset; off < size; off += 1 << 20 {
		end := min(off+1<<20, size)
		code, _ := adminB.chunk(st.ID, data[off:end], off, size)
		for retry := time.Now().Add(10 * time.Second); code == 409 && time.Now().Before(retry); {
			time.Sleep(100 * time.Millisecond)
			code, _ = adminB.chunk(st.ID, data[off:end], off, size)
		}
		if code != 200 {
			t.Fatalf("chunk at %d on B: %d", off, code)
		}
	}
	var n node
	if code := adminB.call("POST", "/api/v1/uploads/"+st.ID+"/commit", nil, &n); code != 201 || n.Hash != sum(data) {
		t.Fatalf("commit on B: %d %+v, want hash %s", code, n, sum(data))
	}
	for _, srv := range []*server.Server{cl.a, cl.b} {
		if f := spoolFiles(srv); len(f) > 0 {
			t.Errorf("files left in a server's spool: %v", f)
		}
	}

	// A PDF uploaded on A: extracted once in the cluster, found by B's search.
	pdf, err := testdocs.PDF("Le compte rendu mentionne un ornithorynque.")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := adminA.put("/Bureau/cr.pdf", pdf); code != 201 {
		t.Fatalf("PDF on A: %d", code)
	}
	start := time.Now()
	for {
		if code, r := adminB.search("ornithorynque"); code == 200 && len(r.Hits) == 1 {
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatal("B's search never found the PDF uploaded on A")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("PDF uploaded on A, found by B's search %s later", time.Since(start).Round(time.Millisecond))
	waitFound(t, adminA, "ornithorynque", "/Bureau/cr.pdf")
	pdfs := func(srv *server.Server) string {
		m := metricsText(t, srv)
		for _, l := range strings.Split(m, "\n") {
			if strings.HasPrefix(l, `notreasso_extractions_total{format="pdf"}`) {
				return strings.TrimSpace(strings.TrimPrefix(l, `notreasso_extractions_total{format="pdf"}`))
			}
		}
		return "0"
	}
	// Both indexers see the upload at once; whichever claims the content
	// first extracts it, and the other reads its text.
	if a, b := pdfs(cl.a), pdfs(cl.b); a+b != "10" && a+b != "01" {
		t.Errorf("PDF extractions: %s on A, %s on B; want one in the cluster", a, b)
	} else {
		t.Logf("PDF extractions: %s on A, %s on B", a, b)
	}

	// A new server builds its index from the stored texts: it finds the
	// PDF without extracting it.
	c := server.Start(t, cl.opts)
	waitFound(t, admin(t, c), "ornithorynque", "/Bureau/cr.pdf")
	if n := pdfs(c); n != "0" {
		t.Errorf("a new server extracted %s PDFs to build its index, want 0", n)
	}
}

func mustRequest(method, u string, body *strings.Reader, user, pass string) *http.Request {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		panic(err)
	}
	req.SetBasicAuth(user, pass)
	req.ContentLength = int64(body.Len())
	return req
}
