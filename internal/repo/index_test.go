package repo

import (
	"context"
	"testing"
)

func TestExtractionRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := e.put(t, e.admin, "/big.txt", "du texte")
	if _, ok, err := e.s.GetExtraction(ctx, n.Hash); ok || err != nil {
		t.Fatalf("before extraction: ok=%v err=%v", ok, err)
	}
	want := Extraction{Blob: n.Hash, Status: "ok", Lang: "fr", Chars: 10 << 20, Extractor: "text", Truncated: true, Attempts: 1}
	if err := e.s.PutExtraction(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := e.s.GetExtraction(ctx, n.Hash)
	if !ok || err != nil || got != want {
		t.Fatalf("got %+v (%v, %v), want %+v", got, ok, err, want)
	}
	// A new result replaces the old one, flag included, and counts the attempt.
	want.Status, want.Reason, want.Truncated, want.Attempts = "failed", "timeout", false, 2
	if err := e.s.PutExtraction(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e.s.GetExtraction(ctx, n.Hash); got != want {
		t.Fatalf("after a retry: got %+v, want %+v", got, want)
	}
}
