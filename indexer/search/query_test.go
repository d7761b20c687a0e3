package search

import (
	"reflect"
	"testing"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		in   string
		want parsedText
	}{
		{"", parsedText{}},
		{"  budget   réunion ", parsedText{words: []string{"budget", "réunion"}}},
		{`"assemblée générale" 2024`, parsedText{words: []string{"2024"}, phrases: []string{"assemblée générale"}}},
		{`« assemblée générale »`, parsedText{phrases: []string{"assemblée générale"}}},
		{`"statuts"`, parsedText{words: []string{"statuts"}}},
		{`"non fermée`, parsedText{phrases: []string{"non fermée"}}},
		{"-brouillon budget", parsedText{words: []string{"budget"}, notWords: []string{"brouillon"}}},
		{`-"ordre du jour"`, parsedText{notPhrases: []string{"ordre du jour"}}},
		{"+budget", parsedText{words: []string{"budget"}}},
		{"a - b", parsedText{words: []string{"a", "-", "b"}}},
		{"AG-2024", parsedText{words: []string{"AG-2024"}}},
		{"tag:finances type:PDF", parsedText{filters: []filterClause{
			{kind: "tag", value: "finances"}, {kind: "type", value: "PDF"}}}},
		{`étiquette:"conseil d'administration" -type:image`, parsedText{filters: []filterClause{
			{kind: "tag", value: "conseil d'administration"}, {kind: "type", value: "image", neg: true}}}},
		{"dossier:/Compta/2024 auteur:jdupont folder:Archives", parsedText{filters: []filterClause{
			{kind: "folder", value: "/Compta/2024"}, {kind: "author", value: "jdupont"},
			{kind: "folder", value: "Archives"}}}},
		{"réunion 12:30 http://exemple.fr", parsedText{words: []string{"réunion", "12:30", "http://exemple.fr"}}},
		{"tag: budget", parsedText{words: []string{"tag:", "budget"}}},
		{"TAG:x", parsedText{filters: []filterClause{{kind: "tag", value: "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseText(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseText(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormaliseQuery(t *testing.T) {
	tests := []struct {
		name      string
		q         Query
		wantLimit int
		wantErr   bool
	}{
		{"defaults", Query{}, DefaultLimit, false},
		{"capped", Query{Limit: 1000}, MaxLimit, false},
		{"date sort", Query{Sort: "date", Limit: 5}, 5, false},
		{"unknown sort", Query{Sort: "size"}, 0, true},
		{"negative offset", Query{Offset: -1}, 0, true},
		{"deep offset", Query{Offset: MaxOffset + 1}, 0, true},
		{"negative limit", Query{Limit: -3}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			err := normalise(&q)
			if (err != nil) != tt.wantErr {
				t.Fatalf("normalise(%+v) error = %v, wantErr %v", tt.q, err, tt.wantErr)
			}
			if err == nil && q.Limit != tt.wantLimit {
				t.Errorf("Limit = %d, want %d", q.Limit, tt.wantLimit)
			}
		})
	}
}
