// Package config is Notre Asso's one configuration struct. Values come, in
// increasing priority, from the defaults below, an optional YAML file, the
// environment (NOTREASSO_ + the key upper-cased with dots as underscores,
// e.g. NOTREASSO_STORAGE_S3_BUCKET) and command-line flags.
package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/providers/structs"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// Config is every setting, with its documented default in Default.
type Config struct {
	// Data is the directory holding the database, local blobs and the index.
	Data string `koanf:"data"`
	// Addr is the HTTP listen address.
	Addr string `koanf:"addr"`
	// BaseURL is the public address people use (behind a reverse proxy),
	// for links and WebDAV instructions. Empty: derived from Addr.
	BaseURL string `koanf:"base_url"`
	// MaxUpload is the largest accepted file, in bytes (0: no limit).
	MaxUpload int64 `koanf:"max_upload"`
	// ShutdownGrace is how long requests in flight may run after SIGTERM.
	ShutdownGrace time.Duration `koanf:"shutdown_grace"`
	// Durability is what an acknowledged upload survives: "process" (the
	// default: the server process dying, killed or crashed; the operating
	// system writes the data out on its own schedule) or "power" (a power
	// cut too: every upload's content and database commit are flushed to
	// the disk before the answer, which costs a disk flush per upload).
	// See docs/operations.md.
	Durability string `koanf:"durability"`
	// TrustedProxies lists the reverse proxies (addresses or CIDR ranges)
	// whose X-Forwarded-For header gives the client address, for login
	// throttling and logs. Empty: the TCP peer is the client.
	TrustedProxies []string `koanf:"trusted_proxies"`

	Log      Log      `koanf:"log"`
	Database Database `koanf:"database"`
	Storage  Storage  `koanf:"storage"`
	Session  Session  `koanf:"session"`
	Auth     Auth     `koanf:"auth"`
	Extract  Extract  `koanf:"extract"`
	Index    Index    `koanf:"index"`
	Preview  Preview  `koanf:"preview"`
	DAV      DAV      `koanf:"dav"`
	HTTP     HTTP     `koanf:"http"`

	Retention Retention `koanf:"retention"` // see retention.go
	Trash     Trash     `koanf:"trash"`
	GC        GC        `koanf:"gc"`
	Site      Site      `koanf:"site"`
	Mail      Mail      `koanf:"mail"`   // see mail.go
	Backup    Backup    `koanf:"backup"` // see backup.go
	Intake    Intake    `koanf:"intake"`

	// Origins says where each key set outside the defaults came from
	// (see origin.go): pages show such settings as locked.
	Origins Origins `koanf:"-"`
}

// Intake paces the mail intake (the accounts themselves are set in the
// administration pages, the API or `notreasso intake`).
type Intake struct {
	// Poll is how often a mailbox is read when its server cannot push new
	// mail (no IMAP IDLE); with IDLE, how often the wait is renewed.
	Poll time.Duration `koanf:"poll"`
	// Retry is the first wait after a failure (server unreachable, refused
	// login); it doubles up to Poll.
	Retry time.Duration `koanf:"retry"`
}

// Site is how the association appears on its pages, share-link pages
// first: the visitors of a link see the association's name, not ours.
type Site struct {
	Name string `koanf:"name"` // shown in the header and titles
	Logo string `koanf:"logo"` // a PNG, JPEG or SVG file on the server; "" for none
}

// Auth configures how people prove who they are.
type Auth struct {
	// AppPasswordsOnly refuses account passwords over HTTP Basic (WebDAV,
	// API clients) for every account: only app passwords work there. The
	// web login always uses the account password.
	AppPasswordsOnly bool `koanf:"app_passwords_only"`
}

// Extract bounds text extraction for the search index.
type Extract struct {
	Timeout      time.Duration `koanf:"timeout"`       // per document
	MaxMemory    int64         `koanf:"max_memory"`    // bytes, for the isolated PDF/OCR worker
	OCRLanguages string        `koanf:"ocr_languages"` // tesseract languages, when tesseract is installed
}

// Preview bounds the rendering of thumbnails, office documents as PDF,
// PDF pages as images and spreadsheets as tables (docs/previews.md).
type Preview struct {
	Timeout   time.Duration `koanf:"timeout"`    // per rendering (a LibreOffice conversion, a thumbnail)
	MaxMemory int64         `koanf:"max_memory"` // bytes, for the isolated rendering worker and LibreOffice
	MaxPixels int64         `koanf:"max_pixels"` // largest image decoded for a thumbnail, in pixels
	Workers   int           `koanf:"workers"`    // renderings at once (LibreOffice converts one at a time)
}

// Index tunes the search index.
type Index struct {
	// BuildHeap is the heap, in bytes, the Go garbage collector lets grow
	// before collecting while the index is built from scratch (0: Go's
	// defaults). Fewer collections make a build about a fifth faster.
	BuildHeap int64 `koanf:"build_heap"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `koanf:"level"`  // debug, info, warn, error
	Format string `koanf:"format"` // text or json
}

// Database selects the metadata store: SQLite in Data/meta.db by default,
// or a PostgreSQL database shared by several servers (docs/scaling.md).
type Database struct {
	// URL is postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=…; empty for SQLite.
	URL string `koanf:"url"`
	// URLFile is a file holding the URL (a password stays out of the
	// configuration file and the environment); exclusive with URL.
	URLFile string `koanf:"url_file"`
}

// DatabaseDSN is what meta.Open takes: the PostgreSQL URL, read from
// Database.URLFile if set, or the SQLite file under Data.
func (c Config) DatabaseDSN() (string, error) {
	u := c.Database.URL
	if c.Database.URLFile != "" {
		b, err := os.ReadFile(c.Database.URLFile)
		if err != nil {
			return "", fmt.Errorf("config: database.url_file: %w", err)
		}
		u = strings.TrimSpace(string(b))
	}
	if u == "" {
		return filepath.Join(c.Data, "meta.db"), nil
	}
	if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return "", fmt.Errorf("config: database.url must be a postgres:// URL (leave it empty for SQLite in the data directory)")
	}
	return u, nil
}

// Storage selects where blobs live.
type Storage struct {
	Backend string `koanf:"backend"` // fs (local disk under Data/blobs) or s3
	S3      S3     `koanf:"s3"`
}

// S3 configures an S3-compatible object store.
type S3 struct {
	Endpoint      string `koanf:"endpoint"` // host:port, without scheme
	Region        string `koanf:"region"`
	Bucket        string `koanf:"bucket"`
	AccessKey     string `koanf:"access_key"`
	SecretKey     string `koanf:"secret_key"`
	SecretKeyFile string `koanf:"secret_key_file"` // read the secret from a file (secrets managers)
	TLS           bool   `koanf:"tls"`
	PathStyle     bool   `koanf:"path_style"`
	Prefix        string `koanf:"prefix"`
	CreateBucket  bool   `koanf:"create_bucket"` // create the bucket if missing (needs s3:CreateBucket)
	PartSize      int64  `koanf:"part_size"`     // multipart part size in bytes (0: 16 MiB); bounds memory per upload
	// SignContent: over plain HTTP, large uploads' parts signed as minio-go
	// does by default (true), or unsigned with a CRC32C checksum (false,
	// the default, when the server accepts it); see the example file.
	SignContent bool `koanf:"sign_content"`
}

// Session configures browser sessions.
type Session struct {
	Lifetime time.Duration `koanf:"lifetime"`
	// Secure marks cookies HTTPS-only; on by default, turned off only for
	// plain-HTTP local use (the default loopback address).
	Secure string `koanf:"secure"` // auto, true, false
}

// DAV configures the WebDAV drive.
type DAV struct {
	// OSJunk decides what happens to files operating systems scatter on
	// network drives (macOS "._*" and ".DS_Store", Windows "Thumbs.db" and
	// "desktop.ini"): store (kept like any file, never indexed), discard
	// (accepted and thrown away) or refuse (403). See docs/webdav.md.
	OSJunk string `koanf:"os_junk"`
	// MaxLockTimeout caps how long a WebDAV lock lasts without a refresh,
	// so a crashed client cannot keep a file locked for ever.
	MaxLockTimeout time.Duration `koanf:"max_lock_timeout"`
}

// HTTP bounds what one request may cost the server before it is known who
// sent it: body size outside uploads, and how slowly a client may send.
type HTTP struct {
	// BodyLimit is the largest request body accepted outside the upload
	// routes (forms, JSON, WebDAV XML): larger ones get 413 before being read.
	BodyLimit int64 `koanf:"body_limit"`
	// HeaderTimeout is how long a client has to send a request's headers.
	HeaderTimeout time.Duration `koanf:"header_timeout"`
	// BodyWindow and MinBodyBytes set the slowest accepted body: at least
	// MinBodyBytes must arrive in every BodyWindow (a small body must
	// arrive whole within one window), or the connection is closed.
	BodyWindow   time.Duration `koanf:"body_window"`
	MinBodyBytes int64         `koanf:"min_body_bytes"`
}

// Default returns the defaults: local disk, SQLite and bleve under ./data,
// listening on loopback.
func Default() Config {
	return Config{
		Data:          "./data",
		Addr:          "127.0.0.1:8080",
		MaxUpload:     20 << 30,
		ShutdownGrace: 30 * time.Second,
		Durability:    "process",
		Log:           Log{Level: "info", Format: "text"},
		Storage:       Storage{Backend: "fs", S3: S3{Region: "us-east-1", TLS: true}},
		Session:       Session{Lifetime: 30 * 24 * time.Hour, Secure: "auto"},
		// A non-nil empty list, so that NOTREASSO_TRUSTED_PROXIES is a known key.
		TrustedProxies: []string{},
		Extract:        Extract{Timeout: 60 * time.Second, MaxMemory: 1 << 30, OCRLanguages: "fra+eng"},
		Index:          Index{BuildHeap: 512 << 20},
		Preview:        Preview{Timeout: 60 * time.Second, MaxMemory: 1 << 30, MaxPixels: 100_000_000, Workers: 2},
		DAV:            DAV{OSJunk: "store", MaxLockTimeout: 24 * time.Hour},
		HTTP:           HTTP{BodyLimit: 1 << 20, HeaderTimeout: 20 * time.Second, BodyWindow: 60 * time.Second, MinBodyBytes: 32 << 10},
		Retention:      defaultRetention(),
		Trash:          Trash{Expiry: "30d"},
		GC:             GC{Interval: 24 * time.Hour, Grace: 24 * time.Hour},
		Site:           Site{Name: "Notre Asso"},
		Mail:           defaultMail(),
		Intake:         Intake{Poll: 5 * time.Minute, Retry: 30 * time.Second},
		Backup:         defaultBackup(),
	}
}

// Keys lists every setting's key (dotted, as in the YAML file), sorted.
func Keys() []string {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		panic(err) // Default is a constant struct: this cannot fail at run time
	}
	return k.Keys()
}

// EnvName is the environment variable that sets key.
func EnvName(key string) string {
	return "NOTREASSO_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load builds the configuration from defaults, the file named by flag
// --config or NOTREASSO_CONFIG, the environment and the flags that were set.
// Flag names are the keys with dots as dashes (--data, --addr, --log-level).
func Load(flags *pflag.FlagSet, environ []string) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		return Config{}, fmt.Errorf("load defaults: %w", err)
	}
	envKeys := map[string]string{}
	for _, key := range k.Keys() {
		envKeys[EnvName(key)] = key
	}
	lookup := func(name string) string {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, name+"="); ok {
				return v
			}
		}
		return ""
	}
	path := lookup("NOTREASSO_CONFIG")
	if flags != nil {
		if f := flags.Lookup("config"); f != nil && f.Changed {
			path = f.Value.String()
		}
	}
	origins := Origins{}
	if path != "" {
		kf := koanf.New(".")
		if err := kf.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("read config file %s: %w", path, err)
		}
		origins.fromFile(kf, k, path)
		if err := k.Merge(kf); err != nil {
			return Config{}, fmt.Errorf("read config file %s: %w", path, err)
		}
	}
	origins.fromEnv(envKeys, lookup)
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:      "NOTREASSO_",
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, v string) (string, any) {
			return envKeys[name], v // unknown variables map to "" and are ignored
		},
	}), nil)
	if err != nil {
		return Config{}, fmt.Errorf("read environment: %w", err)
	}
	if flags != nil {
		err := k.Load(posflag.ProviderWithFlag(flags, ".", k, func(f *pflag.Flag) (string, any) {
			if !f.Changed || f.Name == "config" {
				return "", nil
			}
			origins[strings.ReplaceAll(f.Name, "-", ".")] = "--" + f.Name
			return strings.ReplaceAll(f.Name, "-", "."), posflag.FlagVal(flags, f)
		}), nil)
		if err != nil {
			return Config{}, fmt.Errorf("read flags: %w", err)
		}
	}
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, fmt.Errorf("decode configuration: %w", err)
	}
	c.Origins = origins
	return c, c.validate()
}

func (c *Config) validate() error {
	if c.Data == "" {
		return fmt.Errorf("config: data directory is empty")
	}
	abs, err := filepath.Abs(c.Data)
	if err != nil {
		return fmt.Errorf("config: data directory: %w", err)
	}
	c.Data = abs
	if c.Database.URL != "" && c.Database.URLFile != "" {
		return fmt.Errorf("config: set database.url or database.url_file, not both")
	}
	if c.Database.URL != "" {
		if _, err := c.DatabaseDSN(); err != nil {
			return err
		}
	}
	switch c.Storage.Backend {
	case "fs":
	case "s3":
		if c.Storage.S3.Endpoint == "" || c.Storage.S3.Bucket == "" {
			return fmt.Errorf("config: storage.backend is s3 but storage.s3.endpoint or storage.s3.bucket is empty")
		}
	default:
		return fmt.Errorf("config: storage.backend %q is neither fs nor s3", c.Storage.Backend)
	}
	switch c.Durability {
	case "process", "power":
	default:
		return fmt.Errorf("config: durability %q is neither process nor power", c.Durability)
	}
	switch c.DAV.OSJunk {
	case "store", "discard", "refuse":
	default:
		return fmt.Errorf("config: dav.os_junk %q is none of store, discard, refuse", c.DAV.OSJunk)
	}
	if c.HTTP.BodyLimit < 4<<10 || c.HTTP.HeaderTimeout <= 0 || c.HTTP.BodyWindow <= 0 || c.HTTP.MinBodyBytes < 1 {
		return fmt.Errorf("config: http.body_limit must be at least 4096, http.header_timeout and http.body_window positive, http.min_body_bytes at least 1")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("config: log.format %q is neither text nor json", c.Log.Format)
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		return err
	}
	if err := c.Mail.validate(); err != nil {
		return err
	}
	if err := c.Backup.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return c.validateRetention()
}

// TrustedProxyPrefixes parses TrustedProxies (items may also be comma-
// separated, as in the environment); a bare address is a /32 (or /128).
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.FieldsFunc(strings.Join(c.TrustedProxies, ","), func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("config: trusted_proxies: %q is neither an address nor a CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// PublicURL is where people reach the server.
func (c Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimSuffix(c.BaseURL, "/")
	}
	host := c.Addr
	if strings.HasPrefix(host, ":") || strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, "[::]:") {
		host = "localhost" + host[strings.LastIndex(host, ":"):]
	}
	return "http://" + host
}

// SecureCookies reports whether session cookies must be HTTPS-only.
func (c Config) SecureCookies() bool {
	switch c.Session.Secure {
	case "true":
		return true
	case "false":
		return false
	}
	return strings.HasPrefix(c.PublicURL(), "https://")
}
