package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/testdb"
)

// cluster is two `notreasso serve` processes sharing one PostgreSQL
// database and one S3 bucket (versitygw), each with its own data
// directory (search index, spool), as behind a load balancer.
type cluster struct {
	a, b *server.Server
}

func newCluster(t *testing.T, env ...string) cluster {
	t.Helper()
	db := testdb.NewPostgres(t)
	s3 := s3server.New(t)
	o := server.Options{Backend: "s3", S3: s3, Database: db, Env: env}
	return cluster{a: server.Start(t, o), b: server.Start(t, o)}
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

func mustRequest(method, u string, body *strings.Reader, user, pass string) *http.Request {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		panic(err)
	}
	req.SetBasicAuth(user, pass)
	req.ContentLength = int64(body.Len())
	return req
}
