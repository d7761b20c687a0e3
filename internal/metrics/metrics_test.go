package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notreasso/storage"
	blobfs "notreasso/storage/fs"
	"notreasso/storage/s3"
	"notreasso/storage/storagetest"
)

func TestDoor(t *testing.T) {
	tests := map[string]string{
		"/api/v1/files/a.txt": DoorAPI, "/api": DoorAPI, "/dav/Bureau/": DoorDAV, "/dav": DoorDAV,
		"/s/abc123": DoorShare, "/share/abc": DoorShare, "/": DoorUI, "/healthz": DoorUI,
		"/apiary": DoorUI, "/davos": DoorUI, "/metrics": DoorUI,
		"/remote.php/dav/files/marie/a.txt": DoorSync, "/ocs/v2.php/cloud/user": DoorSync, "/status.php": DoorSync,
		"/nextcloud/status.php": DoorSync, "/index.php/login/v2/poll": DoorSync, "/remote.phpx": DoorUI,
	}
	for path, want := range tests {
		if got := Door(path); got != want {
			t.Errorf("Door(%q) = %q, want %q", path, got, want)
		}
	}
}

// Other engineers increment these: each must be exported under its name.
func TestSeriesNames(t *testing.T) {
	ExtractionFailures.WithLabelValues("pdf").Inc()
	IndexLag.Set(7)
	UploadsInFlight.Set(0)
	Requests.WithLabelValues(DoorAPI, "GET", "200").Inc()
	RequestDuration.WithLabelValues(DoorAPI).Observe(0.01)
	want := []string{
		"notreasso_http_requests_total", "notreasso_http_request_duration_seconds",
		"notreasso_http_request_bytes_total", "notreasso_http_response_bytes_total",
		"notreasso_uploads_in_flight", "notreasso_index_lag", "notreasso_extraction_failures_total",
		"notreasso_preview_queue", "notreasso_preview_failures_total",
		"go_goroutines", "process_resident_memory_bytes",
	}
	n, err := testutil.GatherAndCount(Registry, want...)
	if err != nil {
		t.Fatal(err)
	}
	if n < len(want) {
		t.Errorf("%d series for %d names", n, len(want))
	}
	if v := testutil.ToFloat64(IndexLag); v != 7 {
		t.Errorf("index lag %v", v)
	}
	if v := testutil.ToFloat64(ExtractionFailures.WithLabelValues("pdf")); v < 1 {
		t.Errorf("extraction failures %v", v)
	}
}

// failingStore is a store whose disk is gone: every call fails.
type failingStore struct{ storage.BlobStore }

var errDisk = errors.New("input/output error")

func (failingStore) Put(context.Context, string, io.Reader, int64) error { return errDisk }
func (failingStore) Stat(context.Context, string) (storage.BlobInfo, error) {
	return storage.BlobInfo{}, errDisk
}

func TestObserveStoreCountsFailuresOnly(t *testing.T) {
	ctx := context.Background()
	fs, err := blobfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := ObserveStore(fs, "fs-test")
	stat := StorageErrors.WithLabelValues("fs-test", "stat")
	key := strings.Repeat("ab", 32)
	if _, err := store.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stat of a missing blob: %v", err)
	}
	if _, err := store.Get(ctx, "../x", 0, -1); err == nil {
		t.Fatal("invalid key accepted")
	}
	if err := store.(interface{ Ping(context.Context) error }).Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if v := testutil.ToFloat64(stat) + testutil.ToFloat64(StorageErrors.WithLabelValues("fs-test", "get")); v != 0 {
		t.Errorf("missing blob or bad key counted as a storage error: %v", v)
	}
	if err := store.Put(ctx, key, bytes.NewReader([]byte("x")), 1); err != nil {
		t.Fatal(err)
	}
	rc, err := store.Get(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(rc); string(b) != "x" {
		t.Errorf("read %q", b)
	}
	rc.Close()

	broken := ObserveStore(failingStore{store}, "broken")
	if err := broken.Put(ctx, key, bytes.NewReader(nil), 0); !errors.Is(err, errDisk) {
		t.Fatalf("put: %v", err)
	}
	if err := broken.(interface{ Ping(context.Context) error }).Ping(ctx); !errors.Is(err, errDisk) {
		t.Fatalf("ping: %v", err)
	}
	for op, want := range map[string]float64{"put": 1, "ping": 1, "get": 0} {
		if v := testutil.ToFloat64(StorageErrors.WithLabelValues("broken", op)); v != want {
			t.Errorf("%s errors = %v, want %v", op, v, want)
		}
	}
}

// Callers find optional backend methods by type assertion (repo renames
// spool files with PutFile, GC aborts S3 uploads): the wrapper must keep
// every exported method of each backend.
func TestObserveStoreKeepsMethods(t *testing.T) {
	fs, err := blobfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]storage.BlobStore{"fs": fs, "s3": &s3.Store{}} {
		wrapped := reflect.TypeOf(ObserveStore(b, name))
		orig := reflect.TypeOf(b)
		for i := range orig.NumMethod() {
			m := orig.Method(i)
			w, ok := wrapped.MethodByName(m.Name)
			if !ok {
				t.Errorf("%s: the metrics wrapper hides %s; forward it in internal/metrics/store.go", name, m.Name)
				continue
			}
			if w.Type.NumIn() != m.Type.NumIn() || w.Type.NumOut() != m.Type.NumOut() {
				t.Errorf("%s: %s has another signature in the wrapper", name, m.Name)
			}
		}
	}
	for name, b := range map[string]storage.BlobStore{"fs": fs, "s3": &s3.Store{}} {
		wrapped := reflect.TypeOf(ObserveStore(b, name))
		for _, c := range storagetest.Capabilities {
			if reflect.TypeOf(b).Implements(c) && !wrapped.Implements(c) {
				t.Errorf("%s: the metrics wrapper hides the capability %s", name, c)
			}
		}
	}
	if u, ok := ObserveStore(fs, "fs").(interface{ Unwrap() storage.BlobStore }); !ok || u.Unwrap() != fs {
		t.Error("Unwrap does not return the original store")
	}
}
