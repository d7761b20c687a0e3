package main

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// apacheModules are the modules a WebDAV share with Basic auth needs
// (mod_unixd is compiled in Debian's apache2).
var apacheModules = []string{"mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic", "dav", "dav_fs"}

// apacheModDir is where Debian's apache2 keeps its modules.
const apacheModDir = "/usr/lib/apache2/modules"

// startApache starts Debian's apache2 in the foreground with a WebDAV
// share (mod_dav, mod_dav_fs) of a fresh directory under dir, Basic auth
// for user:pass, on a loopback port. Nothing of the system's own Apache
// configuration is read.
func startApache(ctx context.Context, dir, login, pass string) (*proc, string, error) {
	bin, err := exec.LookPath("apache2")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/apache2"); serr != nil {
			return nil, "", fmt.Errorf("apache2 not found (apt-get install apache2)")
		}
		bin = "/usr/sbin/apache2"
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	root := filepath.Join(dir, "root")
	for _, d := range []string{root, filepath.Join(dir, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	// Apache refuses to serve as root: its workers take www-data's identity
	// then, and must own the share and the lock database's directory.
	runAs := ""
	if os.Geteuid() == 0 {
		u, err := user.Lookup("www-data")
		if err != nil {
			return nil, "", fmt.Errorf("apache2 started as root needs the www-data account: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{dir, root, filepath.Join(dir, "run")} {
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, "", err
			}
		}
		runAs = "User www-data\nGroup www-data\n"
	}
	sum := sha1.Sum([]byte(pass))
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(login+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o644); err != nil {
		return nil, "", err
	}
	var conf strings.Builder
	for _, m := range apacheModules {
		fmt.Fprintf(&conf, "LoadModule %s_module %s/mod_%s.so\n", m, apacheModDir, m)
	}
	fmt.Fprintf(&conf, `ServerRoot %[1]s
ServerName 127.0.0.1
Listen %[2]s
%[4]sPidFile %[1]s/run/apache2.pid
DefaultRuntimeDir %[1]s/run
Mutex file:%[1]s/run default
ErrorLog %[1]s/error.log
LogLevel warn
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
DavLockDB %[1]s/run/davlock
DocumentRoot %[3]s
<Directory %[3]s>
	Dav On
	AuthType Basic
	AuthName bench
	AuthUserFile %[1]s/htpasswd
	Require valid-user
</Directory>
`, dir, addr, root, runAs)
	confPath := filepath.Join(dir, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		return nil, "", err
	}
	p, err := startProc("apache2", filepath.Join(dir, "apache2.log"), nil, bin, "-f", confPath, "-DFOREGROUND")
	if err != nil {
		return nil, "", err
	}
	if _, err := p.waitHTTP(ctx, "http://"+addr+"/", 0, 30*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, "http://" + addr, nil
}

// apacheVersion is the first line of `apache2 -v`.
func apacheVersion() string {
	out, err := exec.Command("/usr/sbin/apache2", "-v").CombinedOutput()
	if err != nil {
		return "unavailable (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimPrefix(line, "Server version: ")
}
