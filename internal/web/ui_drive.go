package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

type driveData struct {
	DavURL  string // {base_url}/dav/
	Host    string
	HTTPS   bool
	Login   string
	WinPath string // \\host@SSL\dav\ form for "net use"
	DavsURL string // davs:// for GNOME/KDE
}

// drivePage explains, with the user's own address, how to mount the
// repository as a network drive on each system.
func (s *Server) drivePage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	base := s.cfg.PublicURL()
	u, _ := url.Parse(base)
	d := driveData{DavURL: base + "/dav/", Host: u.Host, HTTPS: u.Scheme == "https", Login: principal(c).Login}
	d.DavsURL = strings.Replace(strings.Replace(d.DavURL, "https://", "davs://", 1), "http://", "dav://", 1)
	ssl := ""
	if d.HTTPS {
		ssl = "@SSL"
	}
	d.WinPath = `\\` + strings.ReplaceAll(u.Host, ":", "@") + ssl + `\dav\`
	if u.Port() != "" {
		d.WinPath = `\\` + u.Hostname() + ssl + "@" + u.Port() + `\dav\`
	}
	pg := s.newPage(c, "drive")
	pg.Title = pg.L.T("drive.title")
	pg.Data = d
	return s.render(c, fiber.StatusOK, "drive", pg)
}
