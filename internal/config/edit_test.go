package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSetYAMLKey(t *testing.T) {
	keys := []string{"storage", "backend"}
	for _, tc := range []struct{ name, in, want string }{
		{"plain with comment", "data: /srv/na\nstorage:\n  backend: fs   # local disk\n  s3:\n    bucket: b\n",
			"data: /srv/na\nstorage:\n  backend: s3   # local disk\n  s3:\n    bucket: b\n"},
		{"double quoted", "storage:\n    backend: \"fs\"\n", "storage:\n    backend: \"s3\"\n"},
		{"single quoted", "storage: {backend: 'fs'}\n", "storage: {backend: 's3'}\n"},
		{"missing key", "# config\nstorage:\n    s3:\n        bucket: b\nlog:\n  level: info\n",
			"# config\nstorage:\n    backend: s3\n    s3:\n        bucket: b\nlog:\n  level: info\n"},
		{"missing section", "data: /srv/na", "data: /srv/na\nstorage:\n  backend: s3\n"},
		{"empty", "", "storage:\n  backend: s3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := setYAMLKey([]byte(tc.in), keys, "s3")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
	for _, in := range []string{"storage: {s3: {bucket: b}}\n", "storage: fs\n", "storage:\n  backend: [fs]\n", "- a\n"} {
		if out, err := setYAMLKey([]byte(in), keys, "s3"); err == nil {
			t.Errorf("%q: edited to %q, want an error", in, out)
		}
	}
}

func TestSetFileKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notreasso.yaml")
	os.WriteFile(path, []byte("storage:\n  backend: s3\n  s3:\n    bucket: b\n"), 0o640)
	if err := SetFileKey(path, "storage.backend", "fs"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(b) != "storage:\n  backend: fs\n  s3:\n    bucket: b\n" || st.Mode().Perm() != 0o640 {
		t.Fatalf("%q %v", b, st.Mode())
	}
	c, err := Load(nil, []string{"NOTREASSO_CONFIG=" + path})
	if err != nil || c.Storage.Backend != "fs" {
		t.Fatalf("%v %v", c.Storage.Backend, err)
	}
}

func TestSetYAMLKeyNull(t *testing.T) {
	out, err := setYAMLKey([]byte("storage:\n  backend:\n  s3: {}\n"), []string{"storage", "backend"}, "s3")
	t.Logf("%q %v", out, err)
	if err == nil && string(out) != "storage:\n  backend: s3\n  s3: {}\n" {
		t.Fatalf("%q", out)
	}
}
