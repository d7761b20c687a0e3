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

	// Commands to copy, whole: rclone's vendor=owncloud keeps modification
	// times, and copy (never sync) cannot delete anything on either side.
	WinCmd, WinLimitCmd, DavfsCmd, RcloneCmd string
}

// cmdBlock is a command shown with its copy button (the "cmd" template).
type cmdBlock struct {
	Page *page
	ID   string
	Text string
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
	d.WinCmd = "net use N: " + d.WinPath + " /user:" + d.Login + " *"
	d.WinLimitCmd = `reg add HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters /v FileSizeLimitInBytes /t REG_DWORD /d 4294967295 /f` +
		"\nnet stop webclient && net start webclient"
	d.DavfsCmd = "sudo apt install davfs2\nsudo mkdir -p /mnt/notreasso\nsudo mount -t davfs " + d.DavURL +
		" /mnt/notreasso -o uid=$(id -u),gid=$(id -g)"
	d.RcloneCmd = "rclone config create notreasso webdav url=" + d.DavURL + " vendor=owncloud user=" + d.Login +
		" pass=$(rclone obscure '" + pg.L.T("drive.password_word") + "')\nrclone ls notreasso:\nrclone copy ~/Documents/asso notreasso:/Archives"
	pg.Data = d
	return s.render(c, fiber.StatusOK, "drive", pg)
}
