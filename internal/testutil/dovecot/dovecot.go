// Package dovecot starts a real IMAP server for tests: Debian's Dovecot
// (dovecot-imapd), unprivileged (as the dovecot user when the tests run as
// root), from a temporary configuration, on a loopback port, with one
// account in a passwd-file and its maildir in a temporary directory.
package dovecot

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"notreasso/internal/testutil/tier"
)

// Server is a running Dovecot.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	// TLSPort is the implicit-TLS port (Options.TLS); CA the certificate
	// authority that signed the server's certificate.
	TLSPort int
	CA      *x509.CertPool

	t    testing.TB
	bin  string
	dir  string
	conf string
	cmd  *exec.Cmd
	cred *syscall.Credential
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Options vary the server.
type Options struct {
	// NoIdle: the server does not offer IMAP IDLE (clients must poll).
	NoIdle bool
	// TLS: the server offers STARTTLS on the port and implicit TLS on
	// TLSPort, with a certificate for 127.0.0.1 signed by CA (a
	// certificate authority made for the test).
	TLS bool
}

// Start starts a Dovecot for the test; it stops when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	bin := tier.Tool(t, "dovecot", "dovecot-imapd")
	s, err := launch(bin, o)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Remove)
	return s
}

// Launch starts a Dovecot (bin is the dovecot program) outside a test:
// the benchmark uses it. Remove stops it and deletes its files.
func Launch(bin string) (*Server, error) { return launch(bin, Options{}) }

func launch(bin string, o Options) (*Server, error) {
	// Not t.TempDir: its parents are private to root, and Dovecot runs as
	// the dovecot user when the tests run as root.
	dir, err := os.MkdirTemp("", "dovecot-test-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: "asso", Password: "mot-de-passe-" + strconv.Itoa(os.Getpid()), bin: bin, dir: dir}
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	runAs, uid, gid, err := currentUser()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("dovecot")
		if err != nil {
			return nil, fmt.Errorf("the dovecot user is missing (Debian package dovecot-core creates it): %w", err)
		}
		runAs = u.Username
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	group := runAs
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		group = g.Name
	}
	for _, d := range []string{"run", "state", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return nil, err
		}
	}
	s.conf = filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(fmt.Sprintf("%s:{PLAIN}%s\n", s.User, s.Password)), 0o640); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(config, dir, runAs, group, uid, gid, s.Port)
	if o.NoIdle {
		conf += "protocol imap {\n  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS MOVE\n}\n"
	}
	if o.TLS {
		if s.TLSPort, err = freePort(); err != nil {
			return nil, err
		}
		tlsConf, err := s.makeCerts()
		if err != nil {
			return nil, err
		}
		conf = strings.Replace(conf, "ssl = no\n", tlsConf, 1)
		conf = strings.Replace(conf, "  inet_listener imaps {\n    port = 0\n", fmt.Sprintf("  inet_listener imaps {\n    address = 127.0.0.1\n    port = %d\n", s.TLSPort), 1)
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o640); err != nil {
		return nil, err
	}
	if s.cred != nil {
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, uid, gid) })
	}
	if err := s.launch(); err != nil {
		s.Remove()
		return nil, err
	}
	return s, nil
}

// Remove stops the server and deletes its files.
func (s *Server) Remove() {
	s.Stop()
	os.RemoveAll(s.dir)
}

const config = `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[2]s
first_valid_uid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[4]d gid=%[5]d home=%[1]s/home/%%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[6]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`

func currentUser() (string, int, int, error) {
	u, err := user.Current()
	if err != nil {
		return "", 0, 0, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return u.Username, uid, gid, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts again (same port and mail) a stopped server, and waits
// until it greets.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) launch() error {
	cmd := exec.Command(s.bin, "-F", "-c", s.conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			buf := make([]byte, 4)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.ReadFull(c, buf)
			c.Close()
			if err == nil && string(buf) == "* OK" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not start on %s: %v\n%s", s.Addr(), err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (all its processes) and waits until the port is free.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
	for range 100 {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// Log is the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b)
}

// Client is a logged-in IMAP client, closed when the test ends.
func (s *Server) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Append adds the message in file path to mailbox (created if missing),
// streamed from the file.
func (s *Server) Append(t testing.TB, mailbox, path string) {
	t.Helper()
	if err := s.AppendFile(mailbox, path); err != nil {
		t.Fatal(err)
	}
}

// AppendFile is Append outside a test.
func (s *Server) AppendFile(mailbox, path string) error {
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		return err
	}
	defer c.Logout()
	if mailbox != "INBOX" {
		if err := c.Create(mailbox, nil).Wait(); err != nil && !strings.Contains(strings.ToLower(err.Error()), "exists") {
			return err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	cmd := c.Append(mailbox, st.Size(), nil)
	if _, err := io.Copy(cmd, f); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("append to %s: %w", mailbox, err)
	}
	return nil
}

// Count is how many messages mailbox holds, and how many carry flag.
func (s *Server) Count(t testing.TB, mailbox string, flag imap.Flag) (all, flagged int) {
	t.Helper()
	c := s.Client(t)
	defer c.Logout()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	d, err := c.Search(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	all = len(d.AllSeqNums())
	if flag != "" {
		d, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{flag}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		flagged = len(d.AllSeqNums())
	}
	return all, flagged
}
