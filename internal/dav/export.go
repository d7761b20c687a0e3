package dav

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"net/http"
	"strings"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// ErrChecksum means an upload's bytes do not match the OC-Checksum header
// the client sent: something changed them on the way, so nothing is kept.
var ErrChecksum = fmt.Errorf("%w: the content does not match its OC-Checksum", repo.ErrInvalid)

// checksumTypes are the OC-Checksum algorithms verified on upload, as the
// Nextcloud and ownCloud clients and rclone name them.
var checksumTypes = map[string]func() hash.Hash{
	"SHA1":     sha1.New,
	"MD5":      md5.New,
	"ADLER32":  func() hash.Hash { return adler32.New() },
	"SHA256":   sha256.New,
	"SHA3-256": func() hash.Hash { return sha3.New256() },
}

// ChecksumTypes lists the algorithms for the capabilities document.
func ChecksumTypes() []string { return []string{"SHA1", "MD5", "Adler32", "SHA256", "SHA3-256"} }

// checkedBody wraps an upload body so that its checksum is computed while
// it streams; verify, called by repo.Put once the body is spooled and
// before anything is committed, compares it with the header. A header
// naming only algorithms we do not know is not checked.
func checkedBody(r io.Reader, header string) (io.Reader, func() error) {
	for _, f := range strings.Fields(header) {
		typ, want, ok := strings.Cut(f, ":")
		mk := checksumTypes[strings.ToUpper(typ)]
		if !ok || mk == nil {
			continue
		}
		h := mk()
		want = strings.ToLower(want)
		return io.TeeReader(r, h), func() error {
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				return fmt.Errorf("%w (%s %s, received %s)", ErrChecksum, typ, want, got)
			}
			return nil
		}
	}
	return r, nil
}

// CheckedBody is checkedBody for other doors (chunked uploads).
func CheckedBody(r io.Reader, header string) (io.Reader, func() error) { return checkedBody(r, header) }

// FileID is oc:id and the OC-FileId header: the node id, which stays the
// same across renames and moves, followed by an instance id as the
// Nextcloud clients expect.
func FileID(n repo.Node) string { return fmt.Sprintf("%08dnotreasso", n.ID) }

// setOCHeaders sets the headers sync clients read after a write.
func setOCHeaders(h http.Header, n repo.Node) {
	h.Set("ETag", etag(n))
	h.Set("OC-ETag", etag(n))
	h.Set("OC-FileId", FileID(n))
}

// SetOCHeaders is setOCHeaders for other doors.
func SetOCHeaders(h http.Header, n repo.Node) { setOCHeaders(h, n) }

// StatusOf is the HTTP status for a repository error, as this drive maps
// it, for other doors that share the drive.
func StatusOf(err error) int { return statusOf(err) }

// SetPrincipal names the authenticated caller for the server's request
// log, for doors bridged by Fiber that authenticate themselves.
func SetPrincipal(ctx context.Context, p acl.Principal) { setPrincipal(ctx, p) }
