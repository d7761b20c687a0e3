// Package s3 stores blobs in an S3-compatible object store (AWS S3, MinIO,
// Garage, Ceph RGW, Versity gateway, ...) through minio-go.
//
// # Layout
//
// A blob with key k is stored as the object
//
//	<Prefix>blobs/<k[0:2]>/<k[2:4]>/<k>
//
// e.g. blobs/ab/cd/abcdef0123…. S3 itself has no directories, but several
// S3-compatible servers map "/" to real directories on disk (MinIO in
// filesystem mode, Versity's posix backend, SeaweedFS); two levels of 256-way
// sharding keep those directories small, and on AWS they spread load over
// prefixes (S3 rate limits are per prefix). Objects under the prefix that do
// not follow this layout are ignored by List.
//
// # Writes
//
// Put streams with the size known up front: blobs up to PartSize are sent as
// one PUT, larger ones as a multipart upload of PartSize parts. Either way at
// most one part (PartSize bytes, 16 MiB by default) is buffered per Put, and
// the object only becomes visible when the upload completes, so a failed Put
// leaves nothing under the key. minio-go aborts a failed multipart upload;
// if the server is unreachable at that moment the parts stay behind, invisible,
// until AbortIncompleteUploads or a bucket lifecycle rule removes them.
//
// StreamPut (storage.StreamPutter) serves uploads whose key, the content
// hash, is only known at their end: the server's upload spool. It sends
// the spool file to <Prefix>staging/<random> while the file is being
// written, each part read from the file once the writer has passed its end
// (stream.go), so receiving and sending overlap and no part is held in
// memory. Commit completes the staging object, then files it under the
// key: if the key holds a blob, the staging object is deleted; otherwise a
// pointer is written at the key, a zero-length object whose metadata
// names the staging object and the real size, and a finisher copies the
// staging object over the pointer in the background and deletes it
// (pointer.go). The copy costs about as much as the upload on some
// servers; it is off the client's time. Get, Stat, List and Delete follow
// pointers. RecoverStaged finishes or removes what a stopped process left.
//
// # Retries
//
// minio-go retries each request on network errors, 5xx, throttling and
// similar transient errors with exponential backoff and full jitter (200 ms
// base, 1 s cap). A request is only retried when its body can be replayed,
// which is why Put hands minio-go in-memory parts. Config.MaxRetries bounds
// the attempts per request (DefaultMaxRetries).
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"notreasso/storage"
)

const (
	// DefaultPartSize bounds the memory of one Put: minio-go buffers a part.
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's minimum size of a non-final part.
	MinPartSize = 5 << 20
	// maxParts is S3's limit on parts per multipart upload.
	maxParts = 10000
	// DefaultMaxRetries is the attempts per request: with minio-go's backoff
	// (200 ms doubling, capped at 1 s) a dead server fails a request in ~3 s.
	DefaultMaxRetries = 5
	// blobsDir is the folder under Prefix that holds the blob shards.
	blobsDir = "blobs/"
	// cleanupTimeout bounds best-effort cleanup that runs after the caller's
	// ctx may already be cancelled.
	cleanupTimeout = 30 * time.Second
)

// Config describes how to reach the bucket.
type Config struct {
	// Endpoint is host[:port] of the S3 API, without scheme, e.g.
	// "s3.eu-west-3.amazonaws.com" or "127.0.0.1:9000". A "http://" or
	// "https://" prefix is accepted and overrides UseTLS.
	Endpoint string
	// Region, e.g. "eu-west-3". Empty lets minio-go discover it, which costs
	// a request per bucket; most non-AWS servers accept "us-east-1".
	Region string
	Bucket string
	// AccessKey and SecretKey authenticate requests (AWS signature v4).
	AccessKey string
	SecretKey string
	// SecretKeyFile, if set, is read for the secret key (trailing newline
	// removed) so it can come from a secrets manager mount instead of the
	// environment. It is an error to set both SecretKey and SecretKeyFile.
	SecretKeyFile string
	UseTLS        bool
	// PathStyle addresses the bucket as https://endpoint/bucket/key instead
	// of https://bucket.endpoint/key. Self-hosted servers (MinIO, Garage,
	// Versity) usually need it; AWS prefers virtual-host style.
	PathStyle bool
	// Prefix is prepended to every object name, to share a bucket. A "/" is
	// added if missing, e.g. "notreasso" stores under "notreasso/blobs/".
	Prefix string
	// UnsignedContent sends the parts of streamed uploads over plain HTTP
	// as UNSIGNED-PAYLOAD with a CRC32C checksum that the S3 server
	// verifies, instead of minio-go's SigV4 streaming signatures (a SHA-256
	// pass over the content on each side). Transfer errors are still
	// caught, for a fraction of the CPU; only an active attacker on a
	// plain-HTTP path could change content in transit, and such an
	// attacker could as well change what is read back, which no signature
	// covers. Over TLS it changes nothing: minio-go sends the content
	// unsigned and TLS protects it. Servers differ in how they handle the
	// checksum headers (AWS and MinIO document them; versitygw is tested),
	// so New first makes a one-byte multipart upload with a checksum and
	// falls back to signing if the server refuses it. The zero value signs,
	// as minio-go does; the server's configuration turns it on by default.
	UnsignedContent bool
	// PartSize is the multipart part size and thus the memory one Put may
	// buffer. 0 means DefaultPartSize; must be at least MinPartSize.
	PartSize uint64
	// MaxRetries is the number of attempts per request; 0 means
	// DefaultMaxRetries, 1 disables retries.
	MaxRetries int
	// CreateBucket lets New create the bucket when it does not exist (needs
	// s3:CreateBucket). Otherwise a missing bucket is an error.
	CreateBucket bool
}

// Store is a storage.BlobStore backed by an S3 bucket. Safe for concurrent use.
type Store struct {
	client   *minio.Client
	core     minio.Core // eager GETs: errors come back before the caller reads
	bucket   string
	prefix   string
	partSize int64
	endpoint string
	// accessKey is kept for error messages; it identifies, it is not secret.
	accessKey string
	log       *slog.Logger
	// unsigned: streamed parts unsigned, with a CRC32C (Config.UnsignedContent).
	unsigned bool

	// Streamed uploads and their background finishers (pointer.go).
	mu         sync.Mutex
	owned      map[string]bool // staging ids this process is working on
	bg         sync.WaitGroup  // finishers and cleanups
	bgCtx      context.Context // cancelled by Close
	bgCancel   context.CancelFunc
	finishSem  chan struct{}
	holdFinish chan struct{} // tests: finishers wait until it is closed
}

var _ storage.BlobStore = (*Store)(nil)

// New connects to the bucket described by cfg, creating it if cfg allows,
// and fails with a message naming the problem (bucket, credentials or
// permission) if the bucket cannot be used.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	endpoint, secure, err := parseEndpoint(cfg.Endpoint, cfg.UseTLS)
	if err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket configured")
	}
	if cfg.AccessKey == "" {
		return nil, errors.New("s3: no access key configured")
	}
	secret := cfg.SecretKey
	if cfg.SecretKeyFile != "" {
		if secret != "" {
			return nil, errors.New("s3: set either the secret key or the secret key file, not both")
		}
		b, err := os.ReadFile(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("s3: reading secret key file: %w", err)
		}
		secret = strings.TrimRight(string(b), "\r\n")
	}
	if secret == "" {
		return nil, errors.New("s3: no secret key configured (SecretKey or SecretKeyFile)")
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize {
		return nil, fmt.Errorf("s3: part size %d is below the S3 minimum of %d bytes", partSize, MinPartSize)
	}
	retries := cfg.MaxRetries
	if retries <= 0 {
		retries = DefaultMaxRetries
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, secret, ""),
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   retries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: client for %s: %w", endpoint, err)
	}
	s := &Store{
		client:    client,
		core:      minio.Core{Client: client},
		bucket:    cfg.Bucket,
		prefix:    normalizePrefix(cfg.Prefix),
		partSize:  int64(partSize),
		endpoint:  endpoint,
		accessKey: cfg.AccessKey,
		unsigned:  cfg.UnsignedContent && !secure, // over TLS: minio-go's default
		log:       logger.With("component", "storage/s3", "bucket", cfg.Bucket),
		owned:     map[string]bool{},
		finishSem: make(chan struct{}, finishParallel),
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	if err := s.ensureBucket(ctx, cfg.CreateBucket, cfg.Region); err != nil {
		return nil, err
	}
	if s.unsigned {
		if err := s.probeChecksums(ctx); err != nil {
			s.unsigned = false
			s.log.Warn("s3 server refused a multipart upload with CRC32C checksums; large uploads are signed instead",
				"endpoint", endpoint, "error", err)
		}
	}
	s.log.Info("s3 blob store ready", "endpoint", endpoint, "prefix", s.prefix, "part_size", partSize)
	return s, nil
}

func parseEndpoint(raw string, useTLS bool) (host string, secure bool, err error) {
	if raw == "" {
		return "", false, errors.New("s3: no endpoint configured")
	}
	if !strings.Contains(raw, "://") {
		return raw, useTLS, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("s3: endpoint %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3: endpoint %q must be host[:port] or http(s)://host[:port]", raw)
	}
	return u.Host, u.Scheme == "https", nil
}

func normalizePrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

func (s *Store) ensureBucket(ctx context.Context, create bool, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("s3: checking bucket %q: %w", s.bucket, err)
		}
		if cerr := s.checkCredentials(ctx); cerr != nil {
			return cerr
		}
		if errCode(err) == minio.AccessDenied || errStatus(err) == http.StatusForbidden {
			return fmt.Errorf("s3: checking bucket %q at %s: access denied; the access key needs s3:ListBucket on the bucket: %w", s.bucket, s.endpoint, err)
		}
		return fmt.Errorf("s3: checking bucket %q at %s: %w", s.bucket, s.endpoint, err)
	}
	if exists {
		return nil
	}
	// Some servers answer 404 to unknown credentials (Versity does): rule
	// that out before blaming the bucket.
	if cerr := s.checkCredentials(ctx); cerr != nil {
		return cerr
	}
	if !create {
		return fmt.Errorf("s3: bucket %q does not exist at %s (create it, or enable bucket creation)", s.bucket, s.endpoint)
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region}); err != nil {
		switch errCode(err) {
		case "BucketAlreadyOwnedByYou": // another instance created it meanwhile
			return nil
		case minio.AccessDenied:
			return fmt.Errorf("s3: bucket %q does not exist at %s and the access key lacks s3:CreateBucket: %w", s.bucket, s.endpoint, err)
		}
		return fmt.Errorf("s3: creating bucket %q at %s: %w", s.bucket, s.endpoint, err)
	}
	s.log.Info("s3 bucket created", "endpoint", s.endpoint)
	return nil
}

// checkCredentials returns an actionable error if the server rejects the
// credentials themselves. HEAD responses carry no error body, so a bucket
// check cannot tell bad credentials from a missing permission or bucket;
// ListBuckets (GET /) returns a body with the reason. Any other outcome,
// including AccessDenied for lack of s3:ListAllMyBuckets, returns nil.
func (s *Store) checkCredentials(ctx context.Context) error {
	_, err := s.client.ListBuckets(ctx)
	switch errCode(err) {
	case minio.InvalidAccessKeyID, "XAdminUserNotFound": // AWS, Versity
		return fmt.Errorf("s3: bucket %q: access key %q is not known to %s (check the credentials): %w", s.bucket, s.accessKey, s.endpoint, err)
	case "SignatureDoesNotMatch":
		return fmt.Errorf("s3: bucket %q: secret key does not match access key %q at %s (check the credentials): %w", s.bucket, s.accessKey, s.endpoint, err)
	}
	return nil
}

// Ping checks that the bucket is reachable with these credentials; it is
// one cheap HEAD request, meant for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 ping bucket %q: %w", s.bucket, unavailable(err))
	}
	if !exists {
		return fmt.Errorf("s3 ping: bucket %q does not exist at %s", s.bucket, s.endpoint)
	}
	return nil
}

// objectName maps a valid key to its sharded object name (see package doc).
func (s *Store) objectName(key string) string {
	return s.prefix + blobsDir + key[0:2] + "/" + key[2:4] + "/" + key
}

// keyOf inverts objectName, reporting false for objects outside the layout.
func (s *Store) keyOf(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, s.prefix+blobsDir)
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", false
	}
	key := parts[2]
	if !storage.ValidKey(key) || parts[0] != key[0:2] || parts[1] != key[2:4] {
		return "", false
	}
	return key, true
}

// listPrefix maps a key prefix to the object-name prefix that covers it.
func (s *Store) listPrefix(p string) string {
	base := s.prefix + blobsDir
	switch {
	case len(p) <= 2:
		return base + p
	case len(p) <= 4:
		return base + p[:2] + "/" + p[2:]
	default:
		return base + p[:2] + "/" + p[2:4] + "/" + p
	}
}

func checkKey(op, key string) error {
	if !storage.ValidKey(key) {
		return fmt.Errorf("s3 %s blob %q: %w", op, key, storage.ErrInvalidKey)
	}
	return nil
}

// Put implements storage.BlobStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey("put", key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("s3 put blob %s: negative size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	name := s.objectName(key)

	// Keys are content hashes: an existing object already holds this content.
	if info, _, err := s.stat(ctx, key); err == nil {
		if info.Size != size {
			s.log.WarnContext(ctx, "s3 put of existing blob with another size; keeping the stored one",
				"key", key, "stored_size", info.Size, "size", size)
		}
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("s3 put blob %s: checking existing: %w", key, unavailable(err))
	}

	er := &exactReader{ctx: ctx, r: r, remaining: size}
	partSize := s.partSizeFor(size)
	opts := minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    uint64(partSize),
		// MD5 would make minio-go buffer the whole part twice; integrity is
		// covered by SigV4 payload signing over HTTP and by TLS otherwise.
		SendContentMd5: false,
	}
	var body io.Reader = er
	if size <= partSize {
		// Read the blob before talking to S3: a bad stream then costs no
		// request, and an in-memory body lets minio-go retry the PUT.
		buf := make([]byte, size)
		if _, err := io.ReadFull(er, buf); err != nil {
			return fmt.Errorf("s3 put blob %s: %w", key, er.cause(err))
		}
		if err := er.checkEnd(); err != nil {
			return fmt.Errorf("s3 put blob %s: %w", key, err)
		}
		body = bytes.NewReader(buf)
	} else if ra, ok := wholeFile(r, size); ok {
		// A complete file (the upload spool): minio-go sends its parts in
		// parallel straight from the file, and retries a part by
		// re-reading it, with no part buffered in memory.
		body = io.NewSectionReader(ra, 0, size)
		er.remaining, er.checked = 0, true
	}
	start := time.Now()
	info, err := s.client.PutObject(ctx, s.bucket, name, body, size, opts)
	if err != nil {
		if er.err == nil {
			err = unavailable(err)
		}
		return fmt.Errorf("s3 put blob %s: %w", key, er.cause(err))
	}
	if err := er.checkEnd(); err != nil {
		// Cannot happen when minio-go read exactly size bytes through er,
		// but never keep an object built from a stream we did not validate.
		s.removeFailed(ctx, key, name)
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	if err := s.verify(ctx, name, size); err != nil {
		s.removeFailed(ctx, key, name)
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	s.log.DebugContext(ctx, "s3 blob stored", "key", key, "size", size, "etag", info.ETag,
		"duration", time.Since(start))
	return nil
}

// partSizeFor grows the part size for huge blobs, which would otherwise
// need more than S3's 10000 parts (160 GiB at 16 MiB parts).
func (s *Store) partSizeFor(size int64) int64 {
	ps := s.partSize
	if need := (size + maxParts - 1) / maxParts; need > ps {
		const mib = 1 << 20
		ps = (need + mib - 1) / mib * mib
	}
	return ps
}

// verify checks the committed object has the announced size, so a server
// or proxy that truncated the upload is caught before anyone reads it.
func (s *Store) verify(ctx context.Context, name string, size int64) error {
	// The object is committed: finish checking even if the caller gave up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return fmt.Errorf("verifying upload: %w", unavailable(err))
	}
	if info.Size != size {
		return fmt.Errorf("stored object has %d bytes, sent %d: %w", info.Size, size, storage.ErrSizeMismatch)
	}
	return nil
}

// removeFailed deletes an object whose upload completed but must not stand.
func (s *Store) removeFailed(ctx context.Context, key, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		s.log.ErrorContext(ctx, "s3 could not remove a failed upload; remove it by hand", "key", key, "object", name, "error", err)
		return
	}
	s.log.WarnContext(ctx, "s3 removed a failed upload", "key", key)
}

// probeChecksums makes a one-byte multipart upload with a CRC32C checksum
// under staging/, completes it and removes it: servers differ in how they
// handle the checksum headers, and a server that refuses them should cost
// a warning at start-up, not every large upload.
func (s *Store) probeChecksums(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	name := s.stagingName("probe-" + newStagingID())
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, name, s.streamOptions())
	if err != nil {
		return err
	}
	body := bytes.NewReader([]byte{'x'})
	opts, err := s.partOptions(body, 0, 1)
	if err == nil {
		var part minio.ObjectPart
		if part, err = s.core.PutObjectPart(ctx, s.bucket, name, id, 1, body, 1, opts); err == nil {
			_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, name, id,
				[]minio.CompletePart{{PartNumber: 1, ETag: part.ETag, ChecksumCRC32C: part.ChecksumCRC32C}}, s.streamOptions())
		}
	}
	if err != nil {
		s.core.AbortMultipartUpload(ctx, s.bucket, name, id)
		return err
	}
	return s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
}
