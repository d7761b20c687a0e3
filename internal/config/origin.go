package config

import (
	"fmt"

	"github.com/knadh/koanf/v2"
)

// Origins maps a key set outside the defaults ("mail.host") to where it
// was set: the configuration file's name, an environment variable
// (NOTREASSO_MAIL_HOST) or a flag (--mail-host). Settings an
// administrator may also change in the browser give way to these, and the
// page says which file or variable to edit instead.
type Origins map[string]string

// Of says where key was set, or ok false when it keeps its default.
func (o Origins) Of(key string) (where string, ok bool) {
	where, ok = o[key]
	return where, ok
}

// fromFile records the file's keys, except those left empty or at their
// default: the example file lists every key, and a copy of it must not
// lock every setting.
func (o Origins) fromFile(file, defaults *koanf.Koanf, path string) {
	for _, k := range file.Keys() {
		v := fmt.Sprint(file.Get(k))
		if v == "" || v == fmt.Sprint(defaults.Get(k)) {
			continue
		}
		o[k] = path
	}
}

// fromEnv records the variables set (to something) in the environment;
// they override the file, as Load does.
func (o Origins) fromEnv(names map[string]string, lookup func(string) string) {
	for name, key := range names {
		if lookup(name) != "" {
			o[key] = name
		}
	}
}
