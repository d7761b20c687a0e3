package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"syscall"
)

// Explain sorts a relay failure into what an administrator can act on,
// for the admin page's plain words (message ids mail_fail_KIND):
// not_configured, unknown_host, refused, timeout, tls, auth or other.
func Explain(err error) string {
	var (
		dns   *net.DNSError
		ne    net.Error
		cert  *tls.CertificateVerificationError
		unk   x509.UnknownAuthorityError
		hn    x509.HostnameError
		rec   tls.RecordHeaderError
		proto *textproto.Error
	)
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, ErrNotConfigured):
		return "not_configured"
	case errors.As(err, &dns):
		return "unknown_host"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "refused"
	case errors.As(err, &cert), errors.As(err, &unk), errors.As(err, &hn), errors.As(err, &rec),
		strings.Contains(msg, "tls") || strings.Contains(msg, "certificate"):
		return "tls"
	case errors.As(err, &proto) && (proto.Code == 535 || proto.Code == 534 || proto.Code == 530 || proto.Code == 454),
		strings.Contains(msg, "auth"):
		return "auth"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// FailKinds are Explain's answers (the catalogue test reads them).
var FailKinds = []string{"not_configured", "unknown_host", "refused", "timeout", "tls", "auth", "other"}
