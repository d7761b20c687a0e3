package testdocs

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// EML is a MIME message: From with an RFC 2047 name, Subject
// "Procès-verbal de l'assemblée générale" in mixed Q and B encodings, a
// multipart/alternative whose base64 text/plain part says "Bonjour,
// voici le <phrase> du 3 juin, approuvé par les membres." (its HTML twin,
// "html-only-marker", must not be indexed twice), a quoted-printable
// Latin-1 part, and two attachments whose names use RFC 2231 and RFC 2047
// (their base64 content, "JVBER…", is not text).
func EML(phrase string) []byte {
	return []byte("From: =?UTF-8?Q?Fran=C3=A7oise_Lef=C3=A8vre?= <francoise@example.org>\r\n" +
		"To: bureau@example.org\r\n" +
		"Subject: =?ISO-8859-1?Q?Proc=E8s-verbal?= de =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("l'assemblée générale")) + "?=\r\n" +
		"Date: Mon, 3 Jun 2024 10:00:00 +0200\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" +
		"--XX\r\nContent-Type: multipart/alternative; boundary=\"YY\"\r\n\r\n" +
		"--YY\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap76(base64.StdEncoding.EncodeToString([]byte("Bonjour,\nvoici le "+phrase+" du 3 juin, approuvé par les membres.\n"))) + "\r\n" +
		"--YY\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>Version HTML en double (html-only-marker)</p>\r\n" +
		"--YY--\r\n" +
		"--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Pi=E8ce suppl=E9mentaire : budget pr=E9visionnel de l'ann=E9e, avec une tr=\r\n=E8s longue ligne.\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\n" +
		"Content-Disposition: attachment; filename*=UTF-8''rapport%20financier%20d%C3%A9taill%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"JVBERi0xLjQK\r\n" +
		"--XX\r\nContent-Type: image/png; name=\"=?UTF-8?Q?photo_f=C3=AAte.png?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"iVBORw0KGgo=\r\n" +
		"--XX--\r\n")
}

// wrap76 folds base64 into mail-sized lines.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// HTML is a Windows-1252 page (declared in a meta element): title "Titre
// de la page", "Le <phrase> est&nbsp;approuvé par les membres.", a table,
// a pre block, and text that must stay hidden (meta description, style,
// script, noscript: each contains "hidden"). The phrase is HTML text: it
// is not escaped.
func HTML(phrase string) ([]byte, error) {
	return CP1252(`<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Titre de la page</title>` +
		`<meta name="description" content="meta-description-hidden"><style>body { color: red }</style>` +
		`<script>var hidden = "script-content-hidden";</script></head>` +
		`<body><h1>Compte rendu</h1><p>Le ` + phrase + ` est&nbsp;approuvé par les membres.</p>` +
		`<table><tr><td>Recettes</td><td>1&nbsp;250&nbsp;€</td></tr></table><noscript>noscript-hidden</noscript>` +
		`<pre>ligne 1
ligne 2</pre></body></html>`)
}

// Markdown is UTF-8 Markdown: a heading "Procès-verbal", "Le <phrase> est
// **approuvé** par les membres." and a list.
func Markdown(phrase string) []byte {
	return []byte("# Procès-verbal\n\nLe " + phrase + " est **approuvé** par les membres.\n\n- point un\n- point deux\n")
}

// TextCP1252 is plain text in Windows-1252 with CRLF line ends: "Le
// <phrase> est approuvé par les membres." then "Œuvre sociale : 12 €
// « très » bien." (characters Latin-1 lacks).
func TextCP1252(phrase string) ([]byte, error) {
	return CP1252("Le " + phrase + " est approuvé par les membres.\r\nŒuvre sociale : 12 € « très » bien.\r\n")
}

// CSV is a Windows-1252 CSV file as French Excel writes it: semicolons,
// CRLF, decimal commas, a quoted field "Le <phrase>, ""adopté""; à
// l'unanimité" and a quoted field over two lines.
func CSV(phrase string) ([]byte, error) {
	return CP1252("Nom;Commentaire;Montant\r\nDupont;\"Le " + strings.ReplaceAll(phrase, `"`, `""`) +
		", \"\"adopté\"\"; à l'unanimité\";12,50\r\nMartin;\"sur\r\ndeux lignes\";8\r\n")
}

// RTF is a Windows-1252 RTF document as WordPad writes it: "Le <phrase>
// est approuvé par les membres." with \'hh escapes, then "Français naïf,
// “citation”<tab>fin" with \uN escapes and quote words; a font table, an
// \info title ("rtf-title-hidden") and a generator destination are not
// text.
func RTF(phrase string) []byte {
	return []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times New Roman;}}{\info{\title rtf-title-hidden}}` +
		`{\*\generator Msftedit 5.41;}\viewkind4\uc1\pard\f0\fs24 Le ` + rtfEscape(phrase) + ` est approuv\'e9 par les membres.\par` + "\r\n" +
		`Fran\u231?ais na\u239?f, \ldblquote citation\rdblquote\tab fin\par}`)
}

// rtfEscape writes text as RTF: \'hh for Windows-1252 bytes, \uN? for
// other runes.
func rtfEscape(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\\' || r == '{' || r == '}':
			b.WriteString(`\` + string(r))
		case r < 0x80:
			b.WriteRune(r)
		default:
			if c, err := CP1252(string(r)); err == nil {
				fmt.Fprintf(&b, `\'%02x`, c[0])
				continue
			}
			for _, u := range utf16.AppendRune(nil, r) { // signed 16-bit code units
				fmt.Fprintf(&b, `\u%d?`, int16(u))
			}
		}
	}
	return b.String()
}

// RepeatedText is a document of size bytes cycling through line, to be
// read (io.Reader, io.ReaderAt, io.Seeker) without being held anywhere:
// a 500 MB upload costs no memory and no disk on the sending side.
func RepeatedText(line string, size int64) *io.SectionReader {
	return io.NewSectionReader(repeated{[]byte(line), size}, 0, size)
}

type repeated struct {
	line []byte
	size int64
}

func (r repeated) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.size-off))
	for i := 0; i < n; {
		k := int((off + int64(i)) % int64(len(r.line)))
		i += copy(p[i:n], r.line[k:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
