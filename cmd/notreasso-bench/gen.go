package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
)

// writeRandomFile writes size deterministic pseudo-random bytes (ChaCha8,
// seeded by seed) to path, streaming, and returns their SHA-256. Random
// content defeats compression and deduplication anywhere on the way.
func writeRandomFile(path string, size int64, seed byte) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	var key [32]byte
	key[0] = seed
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if _, err := io.CopyN(w, rand.NewChaCha8(key), size); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile returns the SHA-256 of a file, streaming.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Words of association documents, French and English, for generated text.
var vocabulary = strings.Fields(`
association assemblée générale conseil administration bureau président présidente trésorier
trésorière secrétaire procès-verbal compte rendu réunion ordre du jour budget subvention
cotisation adhérent adhérente bénévole bénévoles statuts règlement intérieur rapport moral
financier activité convention partenariat mairie département région dossier demande facture
reçu devis banque relevé inventaire matériel local salle atelier formation projet bilan
prévisionnel exercice comptable vote majorité quorum démission élection mandat assurance
responsabilité civile don mécénat fondation appel à projets calendrier festival fête
randonnée club sportif jardin partagé café associatif bibliothèque école parents élèves
meeting minutes board treasurer secretary budget grant membership fee volunteer report
annual general assembly agenda invoice receipt bank statement insurance partnership
workshop training event festival garden library school parents students community`)

// docText is the deterministic text of document i: about 150 words and a
// token found in no other document (docNNNNNN), to check it is searchable.
func docText(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 2026))
	var b strings.Builder
	fmt.Fprintf(&b, "Document %s\n\n", docToken(i))
	for w := range 150 {
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		if w%15 == 14 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func docToken(i int) string { return fmt.Sprintf("doc%06d", i) }

// docPath puts 1000 documents per folder.
func docPath(i int) string { return fmt.Sprintf("/docs/f%03d/%s.txt", i/1000, docToken(i)) }

// queries are the search terms timed: single words, pairs and a phrase.
func queries(n int) []string {
	r := rand.New(rand.NewPCG(7, 2026))
	out := make([]string, n)
	for i := range out {
		a, b := vocabulary[r.IntN(len(vocabulary))], vocabulary[r.IntN(len(vocabulary))]
		switch i % 3 {
		case 0:
			out[i] = a
		case 1:
			out[i] = a + " " + b
		default:
			out[i] = `"` + a + " " + b + `"`
		}
	}
	return out
}
