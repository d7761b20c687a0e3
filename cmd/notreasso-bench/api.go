package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// memoryTarget is the server's resident memory budget during a transfer.
const memoryTarget = 100 << 20

// apiFS: upload and download of the big file through the API, local disk.
func (b *bench) apiFS(ctx context.Context) *section {
	s := &section{ID: "api-fs", Title: fmt.Sprintf("API, local disk: upload and download of %s", mib(b.size))}
	if err := b.apiFSRun(ctx, s); err != nil {
		s.Skipped = "failed: " + err.Error()
	}
	return s
}

func (b *bench) apiFSRun(ctx context.Context, s *section) error {
	path, sum, err := b.bigFile()
	if err != nil {
		return err
	}
	srv, err := startNotreasso(ctx, b, "api-fs", filepath.Join(b.dir, "api-fs"))
	if err != nil {
		return err
	}
	defer func() { srv.stop() }() // the process running at the end, after restarts
	s.add("start time, empty data directory", ms(srv.startup), "process start → first `GET /readyz` 200")
	time.Sleep(2 * time.Second)
	rss, _, err := srv.memory()
	if err != nil {
		return err
	}
	s.add("idle RSS", mib(rss), "VmRSS of `notreasso serve` 2 s after it is ready, nothing stored")
	stored := func() (string, error) {
		return hashFile(filepath.Join(srv.Data, "blobs", sum[0:2], sum))
	}
	_, err = b.apiTransfer(ctx, s, srv, path, sum, "data/blobs/ab/<sha256>", stored)
	return err
}

// apiTransfer uploads then downloads the big file through the API, with
// the server's peak RSS during each, and checks the stored blob. It returns
// the upload time.
func (b *bench) apiTransfer(ctx context.Context, s *section, srv *notreasso, path, sum, where string, stored func() (string, error)) (time.Duration, error) {
	u := apiURL(srv.URL, "/bench/big.bin")
	resp, err := request(ctx, "POST", srv.URL+"/api/v1/folders/bench", "admin", adminPassword, nil, 0, nil, 201)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	var took time.Duration
	peak, err := srv.measured(func() (err error) {
		took, err = putFile(ctx, u, "admin", adminPassword, path, nil)
		return err
	})
	if err != nil {
		return 0, err
	}
	upTook := took
	s.add("upload", rate(b.size, took), "`curl -T big.bin -u admin:… "+srv.URL+"/api/v1/files/bench/big.bin` (Go client, file body, Content-Length)")
	s.add("server peak RSS during upload", memVerdict(peak), "VmHWM of the server, reset before the request (`/proc/PID/clear_refs`)")
	var node struct {
		Hash string `json:"sha256"`
		Size int64  `json:"size"`
	}
	resp, err = request(ctx, "GET", srv.URL+"/api/v1/stat/bench/big.bin", "admin", adminPassword, nil, 0, nil, 200)
	if err != nil {
		return 0, err
	}
	err = json.NewDecoder(resp.Body).Decode(&node)
	resp.Body.Close()
	if err != nil || node.Hash != sum || node.Size != b.size {
		return 0, fmt.Errorf("stat after upload: sha256 %s size %d, want %s %d (%v)", node.Hash, node.Size, sum, b.size, err)
	}
	got, err := stored()
	if err != nil {
		return 0, fmt.Errorf("read the stored blob: %w", err)
	}
	if got != sum {
		return 0, fmt.Errorf("stored blob has SHA-256 %s, the file %s", got, sum)
	}
	s.add("stored blob SHA-256 = file's", "yes ("+sum[:16]+"…)", "SHA-256 of "+where+" read straight from the store")

	var n int64
	peak, err = srv.measured(func() (err error) {
		got, n, took, err = getHash(ctx, u, "admin", adminPassword)
		return err
	})
	if err != nil {
		return 0, err
	}
	if got != sum || n != b.size {
		return 0, fmt.Errorf("download: %d bytes with SHA-256 %s, want %d %s", n, got, b.size, sum)
	}
	s.add("download", rate(b.size, took), "`curl -u admin:… "+srv.URL+"/api/v1/files/bench/big.bin | sha256sum` (client hashes as it reads; hash checked)")
	s.add("server peak RSS during download", memVerdict(peak), "VmHWM, reset before the request")
	return upTook, nil
}

func memVerdict(peak int64) string { return verdict(peak, memoryTarget, "100 MiB") }

// verdict tells a peak against a target, named as the issue names it.
func verdict(peak, target int64, name string) string {
	if peak < target {
		return mib(peak) + " (target < " + name + ": met)"
	}
	return mib(peak) + " (target < " + name + ": **missed**)"
}

// apiS3: the same through the API on the S3 backend, then the same file
// straight to the same S3 server with minio-go, for the ratio.
func (b *bench) apiS3(ctx context.Context) *section {
	s := &section{ID: "api-s3", Title: fmt.Sprintf("API, S3 backend (versitygw on this machine): upload and download of %s", mib(b.size))}
	if _, err := os.Stat(b.versitygw); err != nil {
		s.Skipped = "versitygw not found at " + b.versitygw + " (scripts/tools.sh installs it)"
		return s
	}
	if err := b.apiS3Run(ctx, s); err != nil {
		s.Skipped = "failed: " + err.Error()
	}
	return s
}

// s3Root is versitygw's data folder. The S3 server stands for storage on
// another machine, so its writes should not queue on this machine's disk
// behind the server's spool: in RAM (/dev/shm) when it has room for the
// rounds below, otherwise in the work directory. This VM's disk made
// successive 1 GiB uploads take 4 to 10 s either way, which decided the
// ratio more than either program did.
func (b *bench) s3Root() (root, where string, err error) {
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && int64(st.Bavail)*st.Bsize > 4*b.size+(2<<30) {
		root, err = os.MkdirTemp("/dev/shm", "notreasso-bench-s3-")
		return root, "in RAM (`/dev/shm`, tmpfs), as if on another machine; the server's spool is on the disk (`" + b.dir + "`)", err
	}
	root = filepath.Join(b.dir, "s3")
	return root, "on the same disk as the server's spool (`" + root + "`: /dev/shm has too little room)", os.MkdirAll(root, 0o755)
}

func (b *bench) apiS3Run(ctx context.Context, s *section) error {
	path, sum, err := b.bigFile()
	if err != nil {
		return err
	}
	endpoint, err := freeAddr()
	if err != nil {
		return err
	}
	root, where, err := b.s3Root()
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	s.note("versitygw keeps its objects %s.", where)
	gw, err := startProc("versitygw", filepath.Join(b.dir, "versitygw.log"),
		[]string{"ROOT_ACCESS_KEY_ID=" + s3Access, "ROOT_SECRET_ACCESS_KEY=" + s3Secret},
		b.versitygw, "--port", endpoint, "--quiet", "posix", root)
	if err != nil {
		return err
	}
	defer gw.stop()
	if _, err := gw.waitHTTP(ctx, "http://"+endpoint+"/", 0, 30*time.Second); err != nil {
		return err
	}
	srv, err := startNotreasso(ctx, b, "api-s3", filepath.Join(b.dir, "api-s3"),
		"NOTREASSO_STORAGE_BACKEND=s3", "NOTREASSO_STORAGE_S3_ENDPOINT="+endpoint, "NOTREASSO_STORAGE_S3_BUCKET=notreasso",
		"NOTREASSO_STORAGE_S3_ACCESS_KEY="+s3Access, "NOTREASSO_STORAGE_S3_SECRET_KEY="+s3Secret,
		"NOTREASSO_STORAGE_S3_TLS=false", "NOTREASSO_STORAGE_S3_PATH_STYLE=true",
		"NOTREASSO_STORAGE_S3_CREATE_BUCKET=true", "NOTREASSO_STORAGE_S3_REGION=us-east-1")
	if err != nil {
		return err
	}
	defer func() { srv.stop() }() // the process running at the end, after restarts
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3Access, s3Secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	blob := "blobs/" + sum[0:2] + "/" + sum[2:4] + "/" + sum
	stored := func() (string, error) {
		// The upload returns once a pointer names the staging object; the
		// copy to the blob's own key follows in the background.
		took, err := inPlace(ctx, mc, blob, b.size)
		if err != nil {
			return "", err
		}
		s.add("blob in place at its key", ms(took)+" after the upload returned",
			"server-side copy of the staging object over the pointer, in the background (see below)")
		obj, err := mc.GetObject(ctx, "notreasso", blob, minio.GetObjectOptions{})
		if err != nil {
			return "", err
		}
		defer obj.Close()
		h := sha256.New()
		if _, err := io.Copy(h, obj); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	if _, err := b.apiTransfer(ctx, s, srv, path, sum, "the bucket's object blobs/ab/cd/<sha256>", stored); err != nil {
		return err
	}
	return b.s3Ratio(ctx, s, srv, mc, path, sum)
}

// s3Ratio compares, in interleaved rounds, the API upload with the same
// bytes sent straight to the same S3 server with minio-go (issue 3: at
// least 0.8× its throughput). The machine is shared: interleaving and
// medians keep a passing load from deciding.
func (b *bench) s3Ratio(ctx context.Context, s *section, srv *notreasso, mc *minio.Client, path, sum string) error {
	if err := mc.MakeBucket(ctx, "direct", minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		return fmt.Errorf("create bucket direct: %w", err)
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: 16 << 20}
	direct := func(key string) (time.Duration, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		t := time.Now()
		// An *os.File: minio-go sends 4 parts at a time, read from the file.
		if _, err := mc.PutObject(ctx, "direct", key, f, b.size, opts); err != nil {
			return 0, fmt.Errorf("minio-go PutObject %s: %w", key, err)
		}
		return time.Since(t), nil
	}
	blob := "blobs/" + sum[0:2] + "/" + sum[2:4] + "/" + sum
	const rounds = 5
	var api, file []time.Duration
	for i := range rounds {
		// The previous round's background copy ends before the next round
		// (it would compete with it), then without the blob in the bucket
		// the server uploads it again. Before each timed upload, sync(2)
		// writes out what earlier ones left in the page cache: the disk's
		// writeback of one upload would otherwise slow the next one.
		if _, err := inPlace(ctx, mc, blob, b.size); err != nil {
			return err
		}
		if err := mc.RemoveObject(ctx, "notreasso", blob, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("remove the stored blob: %w", err)
		}
		syscall.Sync()
		d, err := putFile(ctx, apiURL(srv.URL, fmt.Sprintf("/bench/round-%d.bin", i)), "admin", adminPassword, path, nil)
		if err != nil {
			return err
		}
		api = append(api, d)
		// The direct round gets a quiet S3 server too: not sharing it with
		// the API round's background copy.
		if _, err := inPlace(ctx, mc, blob, b.size); err != nil {
			return err
		}
		syscall.Sync()
		if d, err = direct(fmt.Sprintf("direct-%d", i)); err != nil {
			return err
		}
		file = append(file, d)
		if err := mc.RemoveObject(ctx, "direct", fmt.Sprintf("direct-%d", i), minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("remove the direct upload: %w", err)
		}
	}
	list := func(ds []time.Duration) string {
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%.2f", d.Seconds()))
		}
		return strings.Join(out, ", ") + " s"
	}
	med := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	a, f := med(api), med(file)
	s.add(fmt.Sprintf("API upload (median of %d rounds)", rounds), rate(b.size, a),
		"as *upload* above, the blob removed from the bucket before each round; rounds: "+list(api))
	s.add(fmt.Sprintf("direct upload with minio-go (median of %d)", rounds), rate(b.size, f),
		"minio-go v7 `PutObject(…, *os.File, size, PartSize: 16 MiB)` to the same versitygw, same credentials, default options (plain HTTP: SigV4 streaming signature of the content): 4 parts at a time; rounds: "+list(file))
	ratio := f.Seconds() / a.Seconds()
	verdict := "met"
	if ratio < 0.8 {
		verdict = "**missed**"
	}
	s.add("API ÷ direct upload throughput", fmt.Sprintf("%.3f× (target ≥ 0.8×: %s)", ratio, verdict),
		"ratio of the two medians above; rounds interleaved (API, direct), `sync` before each")
	s.note("The API upload streams: the body is spooled to disk while its SHA-256 (the key) is computed, and each 16 MiB part is sent to a staging object (`staging/<random>`, 4 parts in flight, read back from the spool file) as soon as it is on disk, unsigned with a CRC32C checksum the S3 server verifies (`storage.s3.sign_content: false`, the default; see docs/s3.md). When the body ends the key is known: the server writes a zero-length pointer object at `blobs/ab/cd/<sha256>` naming the staging object and answers. A server-side copy then replaces the pointer with the blob, in the background (*blob in place* above); reads follow the pointer meanwhile. The measured API time excludes that copy, and the bench waits for it to end before the next upload (API or direct), so every upload is timed on a quiet S3 server; uploads back to back would share the S3 server with the copies.")
	return nil
}

// inPlace waits until the object blob holds size bytes (not a pointer) and
// no staging object is left, and returns how long that took.
func inPlace(ctx context.Context, mc *minio.Client, blob string, size int64) (time.Duration, error) {
	start := time.Now()
	for {
		info, err := mc.StatObject(ctx, "notreasso", blob, minio.StatObjectOptions{})
		if err == nil && info.Size == size {
			staged := false
			for o := range mc.ListObjectsIter(ctx, "notreasso", minio.ListObjectsOptions{Prefix: "staging/", Recursive: true}) {
				if o.Err != nil {
					return 0, o.Err
				}
				staged = true
			}
			if !staged {
				return time.Since(start), nil
			}
		}
		if time.Since(start) > 5*time.Minute {
			return 0, fmt.Errorf("%s not in place after 5 minutes (size %d, %v)", blob, info.Size, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
