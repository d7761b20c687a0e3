package meta

// Lower is what SQL's lower() gives for s in both databases: its ASCII
// letters folded, every other letter left as it is (SQLite's lower(), and
// PostgreSQL's on the schema's text columns, all COLLATE "C"). A lookup
// compares lower(column) with Lower(value) computed here: lower(?) of a
// parameter would fold every letter on PostgreSQL, whose parameters take
// the database's collation, and miss « Été » or « Élodie ».
func Lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
