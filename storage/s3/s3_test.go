package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"notreasso/internal/metrics"
	"notreasso/internal/testutil/s3server"
	"notreasso/storage"
	"notreasso/storage/storagetest"
)

var bucketSeq atomic.Int64

func newBucketName() string {
	return fmt.Sprintf("notreasso-test-%04d", bucketSeq.Add(1))
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testConfig uses the smallest part size S3 allows, so the conformance
// suite's multi-MiB blobs go through multipart uploads.
func testConfig(srv *s3server.Server, bucket string) Config {
	return Config{
		Endpoint:     srv.Endpoint,
		Region:       s3server.Region,
		Bucket:       bucket,
		AccessKey:    srv.AccessKey,
		SecretKey:    srv.SecretKey,
		PathStyle:    true,
		PartSize:     MinPartSize,
		CreateBucket: true,
	}
}

func newStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(t.Context(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// rawClient talks to the server directly, to look behind the Store's back.
func rawClient(t testing.TB, srv *s3server.Server) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Region:       s3server.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	srv := s3server.New(t)
	storagetest.Run(t, func(t *testing.T) storage.BlobStore {
		return newStore(t, testConfig(srv, newBucketName()))
	})
}

// TestConformanceObserved runs the suite on the store as the server uses
// it: wrapped for metrics.
func TestConformanceObserved(t *testing.T) {
	srv := s3server.New(t)
	storagetest.Run(t, func(t *testing.T) storage.BlobStore {
		return metrics.ObserveStore(newStore(t, testConfig(srv, newBucketName())), "s3")
	})
}

// TestConformancePrefixed shares one bucket between stores with different
// prefixes, next to objects that are not blobs, as a shared bucket would be.
func TestConformancePrefixed(t *testing.T) {
	srv := s3server.New(t)
	bucket := newBucketName()
	raw := rawClient(t, srv)
	if err := raw.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	storagetest.Run(t, func(t *testing.T) storage.BlobStore {
		cfg := testConfig(srv, bucket)
		cfg.Prefix = fmt.Sprintf("/tenant-%d/", n.Add(1))
		s := newStore(t, cfg)
		for _, junk := range []string{
			s.prefix + "README.txt",
			s.prefix + "blobs/README.txt",
			s.prefix + "blobs/ab/cd/not-a-key",
			s.prefix + "blobs/ab/cd/0123456789abcdef", // key in the wrong shard
			s.prefix + "blobs/01/23/0123456789ABCDEF", // upper case
		} {
			if _, err := raw.PutObject(t.Context(), bucket, junk, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return s
	})
}

func TestLayout(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	cfg.Prefix = "assoc"
	s := newStore(t, cfg)
	data := []byte("hello, Notre Asso")
	key := storagetest.Key(data)
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	want := "assoc/blobs/" + key[:2] + "/" + key[2:4] + "/" + key
	if _, err := rawClient(t, srv).StatObject(t.Context(), cfg.Bucket, want, minio.StatObjectOptions{}); err != nil {
		t.Fatalf("object %s: %v", want, err)
	}
	// The posix backend maps object names to paths: check the shards on disk.
	if _, err := os.Stat(filepath.Join(srv.Dir, cfg.Bucket, filepath.FromSlash(want))); err != nil {
		t.Errorf("blob file: %v", err)
	}
}

func TestBucketCreation(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)

	t.Run("created when allowed", func(t *testing.T) {
		cfg := testConfig(srv, newBucketName())
		s := newStore(t, cfg)
		ok, err := raw.BucketExists(t.Context(), cfg.Bucket)
		if err != nil || !ok {
			t.Fatalf("BucketExists(%s) = %v, %v; want true", cfg.Bucket, ok, err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
		// A second store on the now existing bucket.
		newStore(t, cfg)
	})

	t.Run("missing bucket is a clear error", func(t *testing.T) {
		cfg := testConfig(srv, newBucketName())
		cfg.CreateBucket = false
		_, err := New(t.Context(), cfg, testLogger(t))
		if err == nil {
			t.Fatal("New succeeded on a missing bucket with CreateBucket false")
		}
		for _, want := range []string{cfg.Bucket, "does not exist"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		if ok, _ := raw.BucketExists(t.Context(), cfg.Bucket); ok {
			t.Errorf("bucket %s was created", cfg.Bucket)
		}
	})
}

func TestWrongCredentials(t *testing.T) {
	srv := s3server.New(t)
	bucket := newBucketName()
	newStore(t, testConfig(srv, bucket)) // the bucket exists; only access fails

	tests := []struct {
		name     string
		mutate   func(*Config)
		wantText string
	}{
		{"unknown access key", func(c *Config) { c.AccessKey = "nobody" }, "is not known"},
		{"wrong secret", func(c *Config) { c.SecretKey = "wrong-secret" }, "secret key does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(srv, bucket)
			tt.mutate(&cfg)
			start := time.Now()
			_, err := New(t.Context(), cfg, testLogger(t))
			if err == nil {
				t.Fatal("New succeeded with wrong credentials")
			}
			t.Logf("error after %v: %v", time.Since(start).Round(time.Millisecond), err)
			for _, want := range []string{bucket, tt.wantText, "check the credentials"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestSecretKeyFile(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	file := filepath.Join(t.TempDir(), "secret")
	// Secrets managers and editors often leave a trailing newline.
	if err := os.WriteFile(file, []byte(cfg.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey, cfg.SecretKeyFile = "", file
	s := newStore(t, cfg)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	cfg.SecretKey = "also set"
	if _, err := New(t.Context(), cfg, testLogger(t)); err == nil {
		t.Error("New accepted both SecretKey and SecretKeyFile")
	}
	cfg.SecretKey, cfg.SecretKeyFile = "", filepath.Join(t.TempDir(), "missing")
	if _, err := New(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), "secret key file") {
		t.Errorf("New with a missing secret file = %v, want an error about the file", err)
	}
}

func TestConfigErrors(t *testing.T) {
	base := Config{Endpoint: "127.0.0.1:1", Bucket: "b", AccessKey: "a", SecretKey: "s"}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "endpoint"},
		{"endpoint with path", func(c *Config) { c.Endpoint = "http://host/path" }, "endpoint"},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket"},
		{"no access key", func(c *Config) { c.AccessKey = "" }, "access key"},
		{"no secret", func(c *Config) { c.SecretKey = "" }, "secret key"},
		{"part size too small", func(c *Config) { c.PartSize = 1 << 20 }, "part size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mutate(&cfg)
			_, err := New(t.Context(), cfg, testLogger(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in         string
		tls        bool
		wantHost   string
		wantSecure bool
	}{
		{"s3.example.org", true, "s3.example.org", true},
		{"127.0.0.1:9000", false, "127.0.0.1:9000", false},
		{"http://127.0.0.1:9000", true, "127.0.0.1:9000", false},
		{"https://s3.example.org/", false, "s3.example.org", true},
	}
	for _, tt := range tests {
		host, secure, err := parseEndpoint(tt.in, tt.tls)
		if err != nil || host != tt.wantHost || secure != tt.wantSecure {
			t.Errorf("parseEndpoint(%q, %v) = %q, %v, %v; want %q, %v", tt.in, tt.tls, host, secure, err, tt.wantHost, tt.wantSecure)
		}
	}
}

func TestGetMissing(t *testing.T) {
	srv := s3server.New(t)
	s := newStore(t, testConfig(srv, newBucketName()))
	key := storagetest.Key([]byte("absent"))
	rc, err := s.Get(t.Context(), key, 0, -1)
	if !errors.Is(err, storage.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("Get = %v, want ErrNotFound before any Read", err)
	}
	if !strings.Contains(err.Error(), key) {
		t.Errorf("error %q does not name the key", err)
	}
}

// TestPingAndServerDown checks readiness follows the server, and that
// operations on a dead server fail instead of hanging.
func TestPingAndServerDown(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	cfg.MaxRetries = 2
	s := newStore(t, cfg)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	srv.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded with the server down")
	}
	key := storagetest.Key([]byte("x"))
	if err := s.Put(ctx, key, strings.NewReader("x"), 1); err == nil {
		t.Error("Put succeeded with the server down")
	}
	if _, err := s.Stat(ctx, key); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat with the server down = %v, want an error other than ErrNotFound", err)
	}
	srv.Start()
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after restart: %v", err)
	}
}

// signalReader closes reached once n bytes have been read through it.
type signalReader struct {
	r       io.Reader
	n       int64
	reached chan struct{}
	once    bool
}

func (s *signalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n -= int64(n)
	if s.n <= 0 && !s.once {
		s.once = true
		close(s.reached)
	}
	return n, err
}

// TestServerKilledMidPut kills the S3 server while a large stream is being
// uploaded: Put must fail, and once the server is back no blob (and, after
// cleanup, no upload) may be left.
func TestServerKilledMidPut(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	cfg.MaxRetries = 2 // fail fast once the server is gone
	s := newStore(t, cfg)

	const size = 256 << 20 // never generated in full: the kill comes first
	key := storagetest.StreamKey(t, 7, size)
	r := &signalReader{r: storagetest.Stream(7, size), n: 3*MinPartSize + 1234, reached: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- s.Put(t.Context(), key, r, size) }()

	select {
	case <-r.reached:
	case err := <-done:
		t.Fatalf("Put ended before the kill: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("upload did not progress")
	}
	srv.Kill()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Put succeeded although the server was killed mid-upload")
		}
		t.Logf("Put failed as expected: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Put did not return after the server was killed")
	}

	srv.Start()
	ctx := t.Context()
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after restart = %v, want ErrNotFound", err)
	}
	if err := s.List(ctx, "", func(bi storage.BlobInfo) error {
		t.Errorf("List after restart shows %s", bi.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The abort minio-go tried while the server was down failed; clean up.
	n, err := s.AbortIncompleteUploads(ctx, 0)
	if err != nil {
		t.Fatalf("AbortIncompleteUploads: %v", err)
	}
	t.Logf("aborted %d leftover upload(s)", n)
	for u := range rawClient(t, srv).ListIncompleteUploads(ctx, cfg.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("incomplete upload left: %s %s", u.Key, u.UploadID)
	}

	// The store works again, with the same key.
	small := storagetest.Content(8, 1000)
	if err := s.Put(ctx, storagetest.Key(small), bytes.NewReader(small), int64(len(small))); err != nil {
		t.Errorf("Put after restart: %v", err)
	}
}

func TestAbortIncompleteUploadsKeepsRecent(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	s := newStore(t, cfg)
	name := s.objectName(storagetest.Key([]byte("in flight")))
	if _, err := s.core.NewMultipartUpload(t.Context(), cfg.Bucket, name, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.AbortIncompleteUploads(t.Context(), time.Hour); err != nil || n != 0 {
		t.Errorf("AbortIncompleteUploads(1h) = %d, %v; want 0, nil (the upload is recent)", n, err)
	}
	if n, err := s.AbortIncompleteUploads(t.Context(), 0); err != nil || n != 1 {
		t.Errorf("AbortIncompleteUploads(0) = %d, %v; want 1, nil", n, err)
	}
}

// TestPutMemoryBounded guards the point of streaming: a Put buffers about
// one part, not the blob. The heap is sampled while 128 MiB go through.
func TestPutMemoryBounded(t *testing.T) {
	srv := s3server.New(t)
	s := newStore(t, testConfig(srv, newBucketName()))
	const size = 128 << 20
	key := storagetest.StreamKey(t, 128, size)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	err := s.Put(t.Context(), key, storagetest.Stream(128, size), size)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("peak heap growth during a %d MiB Put with %d MiB parts: %d MiB", size>>20, MinPartSize>>20, growth>>20)
	// Uncollected garbage counts too, hence the slack; a Put that held the
	// blob would need 128 MiB.
	if limit := int64(8 * MinPartSize); growth > limit {
		t.Errorf("heap grew by %d MiB during Put, want under %d MiB", growth>>20, limit>>20)
	}
}
