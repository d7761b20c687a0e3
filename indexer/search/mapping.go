package search

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// mappingVersion is stored in every index. Bump it whenever a field, an
// analyzer or the way a Document is turned into fields changes: an index
// with another version reports NeedsRebuild.
const mappingVersion = "5"

// Field names. Documents are built by hand (see document.go) rather than
// through bleve's reflection mapping, so each field gets exactly the
// indexing options it needs: no _all field, no doc values on text, term
// vectors only where phrases need positions.
const (
	fName      = "name"       // file name; name analyzer; positions for phrases; prefix
	fTitle     = "title"      // the document's own title or first heading; as the name
	fPath      = "path"       // full path; name analyzer; positions; prefix
	fContent   = "content"    // language-neutral folded text; positions for phrases
	fContentFR = "content_fr" // French analysis (elision, stop words, light stemming)
	fContentEN = "content_en" // English analysis (possessives, stop words, Porter)
	fTagKey    = "tag_key"    // folded tags, for tag: filters and word matches
	fType      = "type"       // family, extension and mime: what type: matches
	fACL       = "acl"        // ancestor ids plus the doc's own id: permission and folder filter
	fFolders   = "folders"    // folded folder paths and names, for folder:
	fAuthor    = "author"     // lower-cased login
	fModified  = "modified"   // date; doc values for date sorting
	fFacets    = "facets"     // "tag:…", "type:…", "folder:…", "year:…"; doc values for the facets
	fSize      = "size"       // bytes, numeric
	fMeta      = "meta"       // stored only: JSON with what a Hit shows
	fSuggest   = "suggest"    // "n:", "f:", "t:", "h:" + the beginnings of name, folder, tag and title words (suggest.go)
)

// Analyzer names. All are defined in the index mapping, so they are stored
// with the index.
const (
	anFR   = "notreasso_fr"   // words, lower, elision, French stop words, light stemmer
	anEN   = "notreasso_en"   // words, possessives, lower, English stop words, Porter
	anFold = "notreasso_text" // words, lower, French elision, accent folding, few stop words
	anName = "notreasso_name" // alnum words, lower, accent folding
)

const (
	stopFoldMap    = "notreasso_stop_fold_words"
	stopFoldFilter = "notreasso_stop_fold"
)

// foldStopWords are dropped from the folded field (after folding). The
// language fields use bleve's full French and English lists.
var foldStopWords = []interface{}{
	"de", "la", "le", "les", "des", "du", "et", "a", "au", "aux", "en", "un",
	"une", "pour", "dans", "par", "sur", "que", "qui", "ce", "ces", "se",
	"the", "of", "and", "to", "in", "for", "on", "with", "is", "that", "an",
}

// buildMapping returns the index mapping. The document mapping is static
// and mirrors document.go; it is not used to map documents (we index
// prepared documents) but records the analyzers of each field in the index
// metadata and lets bleve tools make sense of the index.
func buildMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	// A short stop list for the folded field: the few function words that
	// make a third of French or English prose. Dropping them (positions are
	// kept, so phrases still line up, with a gap matching any word) cuts
	// that field's postings and positions by about a third.
	err := im.AddCustomTokenMap(stopFoldMap, map[string]interface{}{
		"type": tokenmap.Name, "tokens": foldStopWords,
	})
	if err == nil {
		err = im.AddCustomTokenFilter(stopFoldFilter, map[string]interface{}{
			"type": stop.Name, "stop_token_map": stopFoldMap,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("defining the folded field's stop words: %w", err)
	}
	// fr and en are bleve's filter chains (same filters, same order) on
	// our faster word tokenizer, memoised per word (see cachedAnalyzer).
	for name, filters := range map[string][]interface{}{
		anFold: {lowercase.Name, fr.ElisionName, foldFilterName, stopFoldFilter},
		anFR:   {lowercase.Name, fr.ElisionName, fr.StopName, fr.LightStemmerName},
		anEN:   {en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
	} {
		err := im.AddCustomAnalyzer(name, map[string]interface{}{
			"type": cachedAnalyzerType, "tokenizer": wordsTokenizerName, "token_filters": filters,
		})
		if err != nil {
			return nil, fmt.Errorf("defining analyzer %s: %w", name, err)
		}
	}
	err = im.AddCustomAnalyzer(anName, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     alnumTokenizerName,
		"token_filters": []interface{}{lowercase.Name, foldFilterName},
	})
	if err != nil {
		return nil, fmt.Errorf("defining analyzer %s: %w", anName, err)
	}
	im.DefaultAnalyzer = anFold
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	text := func(analyzer string, vectors bool) *mapping.FieldMapping {
		fm := mapping.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = vectors
		fm.DocValues = false
		return fm
	}
	keyword := func(docValues bool) *mapping.FieldMapping {
		fm := mapping.NewKeywordFieldMapping()
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = docValues
		return fm
	}
	dm := mapping.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fName, text(anName, true))
	dm.AddFieldMappingsAt(fTitle, text(anName, true))
	dm.AddFieldMappingsAt(fPath, text(anName, true))
	dm.AddFieldMappingsAt(fContent, text(anFold, true))
	dm.AddFieldMappingsAt(fContentFR, text(anFR, false))
	dm.AddFieldMappingsAt(fContentEN, text(anEN, false))
	dm.AddFieldMappingsAt(fTagKey, keyword(false))
	dm.AddFieldMappingsAt(fType, keyword(false))
	dm.AddFieldMappingsAt(fACL, keyword(false))
	dm.AddFieldMappingsAt(fFolders, keyword(false))
	dm.AddFieldMappingsAt(fSuggest, keyword(false))
	dm.AddFieldMappingsAt(fAuthor, keyword(false))
	dm.AddFieldMappingsAt(fFacets, keyword(true))
	date := mapping.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll, date.DocValues = false, false, true
	dm.AddFieldMappingsAt(fModified, date)
	num := mapping.NewNumericFieldMapping()
	num.Store, num.IncludeInAll, num.DocValues = false, false, false
	dm.AddFieldMappingsAt(fSize, num)
	meta := mapping.NewTextFieldMapping()
	meta.Index, meta.Store, meta.IncludeInAll, meta.DocValues = false, true, false, false
	dm.AddFieldMappingsAt(fMeta, meta)
	im.DefaultMapping = dm
	return im, nil
}

// analyzers are the analyzer instances of an open index, resolved once
// from its own stored mapping so that documents, queries and snippets are
// analysed exactly as the index on disk expects.
type analyzers struct {
	fr, en, fold, name analysis.Analyzer
	content            *contentAnalyzer // both content fields at once; nil: each on its own
}

func loadAnalyzers(m mapping.IndexMapping) (*analyzers, error) {
	a := &analyzers{}
	for _, x := range []struct {
		name string
		dst  *analysis.Analyzer
	}{{anFR, &a.fr}, {anEN, &a.en}, {anFold, &a.fold}, {anName, &a.name}} {
		*x.dst = m.AnalyzerNamed(x.name)
		if *x.dst == nil {
			return nil, fmt.Errorf("index mapping has no analyzer %q", x.name)
		}
	}
	a.content = newContentAnalyzer(a.fold, a.fr, a.en)
	return a, nil
}

// forLang returns the stemming analyzer and its field for a document
// language. Anything but "en" is treated as French, the common case.
func (a *analyzers) forLang(lang string) (analysis.Analyzer, string) {
	if lang == "en" {
		return a.en, fContentEN
	}
	return a.fr, fContentFR
}

// terms analyses s with an and returns the terms (copied: analyzers may
// return sub-slices of their input).
func terms(an analysis.Analyzer, s string) []string {
	toks := an.Analyze([]byte(s))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		out = append(out, string(t.Term))
	}
	return out
}
