package nextcloud

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/dav"
)

// serverVersion is the Nextcloud version announced to the apps: recent
// enough that they use chunked uploads v2 and Login Flow v2, without
// claiming endpoints we do not have (bulk upload, end-to-end encryption).
var serverVersion = struct {
	Major, Minor, Micro int
}{27, 1, 0}

func versionString() string {
	return fmt.Sprintf("%d.%d.%d", serverVersion.Major, serverVersion.Minor, serverVersion.Micro)
}

// status answers status.php: the first request every app makes.
func (h *Handler) status(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"installed":       true,
		"maintenance":     false,
		"needsDbUpgrade":  false,
		"version":         versionString() + ".0",
		"versionstring":   versionString(),
		"edition":         "",
		"productname":     "Notre Asso",
		"extendedSupport": false,
	})
}

// capabilities is what the apps may use here: versions and the trash can
// be browsed and restored from (remote.php/dav/versions and trashbin);
// deleting for good stays with the retention rules.
func capabilities() map[string]any {
	return map[string]any{
		"core": map[string]any{
			"pollinterval":        60,
			"webdav-root":         "remote.php/webdav",
			"reference-api":       false,
			"mod-rewrite-working": false,
		},
		"dav": map[string]any{
			"chunking":   "1.0",
			"bulkupload": "",
		},
		"files": map[string]any{
			"bigfilechunking":   true,
			"versioning":        true,
			"undelete":          true,
			"comments":          false,
			"blacklisted_files": []any{".htaccess"},
		},
		"checksums": map[string]any{
			"supportedTypes":      anyList(dav.ChecksumTypes()),
			"preferredUploadType": "SHA1",
		},
		// The apps keep a conflict copy beside the file; uploading it keeps
		// both people's work on the server.
		"uploadConflictFiles": true,
		"files_sharing": map[string]any{
			"api_enabled": false,
			"public":      map[string]any{"enabled": false},
			"resharing":   false,
		},
	}
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ocs answers the OCS API (v1 and v2, JSON or XML): cloud/capabilities and
// cloud/user; anything else is a clean OCS 404.
func (h *Handler) ocs(c *fiber.Ctx) error {
	v2 := c.Params("api") == "v2.php"
	switch "/" + strings.Trim(c.Params("*"), "/") {
	case "/cloud/capabilities":
		return h.writeOCS(c, v2, http.StatusOK, map[string]any{
			"version": map[string]any{
				"major": serverVersion.Major, "minor": serverVersion.Minor, "micro": serverVersion.Micro,
				"string": versionString(), "edition": "", "extendedSupport": false,
			},
			"capabilities": capabilities(),
		})
	case "/cloud/user":
		p, ok := h.authenticateFiber(c)
		if !ok {
			return nil
		}
		return h.writeOCS(c, v2, http.StatusOK, h.user(c, p))
	}
	return h.writeOCS(c, v2, http.StatusNotFound, nil)
}

func (h *Handler) user(c *fiber.Ctx, p acl.Principal) map[string]any {
	quota := map[string]any{"free": -3, "used": 0, "total": -3, "relative": 0, "quota": -3}
	if used, free, err := h.repo.DAV.Usage(c.UserContext(), p); err == nil {
		quota["used"] = used
		if free >= 0 {
			quota["free"], quota["total"], quota["quota"] = free, used+free, used+free
			if used+free > 0 {
				quota["relative"] = float64(used*10000/(used+free)) / 100
			}
		}
	}
	return map[string]any{
		"id": p.Login, "display-name": p.Login, "displayname": p.Login, "email": nil,
		"enabled": true, "quota": quota, "language": "", "locale": "",
	}
}

// writeOCS wraps data in the OCS envelope. v1 says 100 in the body and
// 200 on the wire; v2 repeats the HTTP status.
func (h *Handler) writeOCS(c *fiber.Ctx, v2 bool, status int, data any) error {
	code, msg := 100, "OK"
	if v2 {
		code = 200
	}
	httpStatus := http.StatusOK
	if status != http.StatusOK {
		code, msg = status, http.StatusText(status)
		if v2 {
			httpStatus = status
		}
		if status == http.StatusNotFound {
			code = 998 // what Nextcloud answers for an unknown OCS route
			if v2 {
				code = 404
			}
		}
	}
	if data == nil {
		data = []any{}
	}
	meta := map[string]any{"status": "ok", "statuscode": code, "message": msg, "totalitems": "", "itemsperpage": ""}
	if status != http.StatusOK {
		meta["status"] = "failure"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Query("format") == "json" || strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		return c.Status(httpStatus).JSON(map[string]any{"ocs": map[string]any{"meta": meta, "data": data}})
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<ocs>")
	writeXML(&b, "meta", meta)
	writeXML(&b, "data", data)
	b.WriteString("</ocs>\n")
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.Status(httpStatus).Send(b.Bytes())
}

// writeXML encodes a JSON-like value as OCS XML: maps as elements in key
// order, lists as <element> items.
func writeXML(b *bytes.Buffer, name string, v any) {
	b.WriteString("<" + name + ">")
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			writeXML(b, k, t[k])
		}
	case []any:
		for _, e := range t {
			writeXML(b, "element", e)
		}
	case nil:
	case bool:
		if t {
			b.WriteString("1")
		}
	default:
		s, _ := json.Marshal(t)
		if str, ok := t.(string); ok {
			s = []byte(str)
		}
		xml.EscapeText(b, s)
	}
	b.WriteString("</" + name + ">")
}
