// Package units writes quantities the way people read them. One byte
// formatter serves the web pages (in the visitor's language) and the
// command line (in English).
package units

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Size writes a byte count in binary multiples with the language's units
// and number format: "1,5 Mo" in French, "1.5 MB" in English.
func Size(tag language.Tag, n int64) string {
	return SizeWith(message.NewPrinter(tag), tag, n)
}

// SizeWith is Size with a printer the caller already holds for tag.
func SizeWith(p *message.Printer, tag language.Tag, n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	if b, _ := tag.Base(); b.String() == "fr" {
		units = []string{"o", "Ko", "Mo", "Go", "To", "Po"}
	}
	if n < 1024 {
		return p.Sprintf("%v %s", number.Decimal(n), units[0])
	}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	digits := 1
	if v >= 100 {
		digits = 0
	}
	return p.Sprintf("%v %s", number.Decimal(v, number.MaxFractionDigits(digits)), units[i])
}
