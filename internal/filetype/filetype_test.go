package filetype

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct{ name, mime, want string }{
		{"PV AG 2025.pdf", "application/pdf", PDF},
		{"budget.ODS", "application/octet-stream", Spreadsheet},
		{"adhérents", "text/csv", Spreadsheet},
		{"statuts", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Document},
		{"diaporama", "application/vnd.oasis.opendocument.presentation", Presentation},
		{"logo", "image/svg+xml", Image},
		{"config.json", "application/json", Text},
		{"courriel", "message/rfc822", Email},
		{"page", "text/html", Web},
		{"archive.7z", "application/octet-stream", Archive},
		{"données.bin", "application/octet-stream", Other},
	} {
		if got := Of(c.name, c.mime); got != c.want {
			t.Errorf("Of(%q, %q) = %q, want %q", c.name, c.mime, got, c.want)
		}
	}
}
