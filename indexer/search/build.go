package search

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Field boosts for word matches. Names weigh most: people remember file
// names. The folded content field is a small bonus for the exact form on
// top of the stemmed match every content hit gets.
const (
	boostName    = 3.0
	boostTitle   = 2.0
	boostTag     = 2.0
	boostPath    = 1.0
	boostStemmed = 1.0
	boostFolded  = 0.5
	// A name holding every word of the query gets this on top; a title,
	// less.
	boostNameAll  = 4.0
	boostTitleAll = 2.0
	// Prefixes shorter than this would expand to too many name terms.
	minPrefixRunes = 3
)

// compiled is a Query turned into a bleve query, with what snippets need.
type compiled struct {
	q      query.Query
	byDate bool
	marks  *markTerms
	none   bool // the query cannot match anything (no access)

	// The parts q is assembled from, kept so that the forgiving passes
	// (forgive.go) can rebuild it with other text clauses.
	clauses []textClause  // the user's words and phrases, every one required in q
	filters []query.Query // filters (boost 0), all required
	mustNot []query.Query
	nameAll query.Query // optional bonus: a name or title holding every word
	phrases bool        // some clauses are phrases (nameAll does not imply them)
	acl     []string    // nil: no permission filter
	cuts    map[string][]string
}

// textClause is one positive word or phrase of the user's text.
type textClause struct {
	raw  string      // as typed
	q    query.Query // exact and stemmed matches
	fold []string    // a word's folded terms (none for phrases)
}

// compile builds the bleve query: a ConjunctionQuery of the user's
// clauses and the filters, restricted by the permission filter
// (aclFilterQuery). Filters are term queries with boost 0 and the
// permission filter does not score, so they restrict without changing
// scores, and they run inside the query so totals and facets only count
// visible documents, and faster than BooleanQuery filters (docs/search.md,
// "Permission filter").
func compile(an *analyzers, q Query) compiled {
	if !q.Access.All && len(q.Access.Roots) == 0 {
		return compiled{none: true}
	}
	p := parseText(q.Text)
	c := compiled{marks: newMarkTerms()}
	var nameAll []query.Query
	for _, w := range an.contentWords(p.words) {
		c.clauses = append(c.clauses, textClause{raw: w, q: an.wordQuery(w, true), fold: terms(an.fold, w)})
		c.marks.addWord(an, w)
		nameAll = append(nameAll, allWordsBonus(terms(an.name, w)))
	}
	for _, ph := range p.phrases {
		c.clauses = append(c.clauses, textClause{raw: ph, q: phraseQuery(ph)})
		c.phrases = true
		c.marks.addPhrase(an, ph)
	}
	hasText := len(c.clauses) > 0
	if len(nameAll) > 0 && !slices.Contains(nameAll, nil) {
		c.nameAll = andQuery(nameAll)
	}
	for _, w := range p.notWords {
		if an.hasTokens(w) {
			c.mustNot = append(c.mustNot, an.wordQuery(w, false))
		}
	}
	for _, ph := range p.notPhrases {
		c.mustNot = append(c.mustNot, phraseQuery(ph))
	}

	// Alternatives (types, folders, authors) are OR-ed within their kind.
	alt := map[string][]query.Query{}
	for _, f := range p.filters {
		var tq query.Query
		switch f.kind {
		case "tag":
			tq = filterTerm(fTagKey, foldKeyword(f.value))
		case "type":
			tq = filterTerm(fType, typeQueryTerm(f.value))
		case "folder":
			tq = filterTerm(fFolders, folderQueryKey(f.value))
		case "author":
			tq = filterTerm(fAuthor, strings.ToLower(f.value))
		}
		switch {
		case f.neg:
			c.mustNot = append(c.mustNot, tq)
		case f.kind == "tag":
			c.filters = append(c.filters, tq) // every tag is required
		default:
			alt[f.kind] = append(alt[f.kind], tq)
		}
	}
	for _, t := range q.Tags {
		c.filters = append(c.filters, filterTerm(fTagKey, foldKeyword(t)))
	}
	for _, t := range q.Types {
		alt["type"] = append(alt["type"], filterTerm(fType, typeQueryTerm(t)))
	}
	for _, kind := range []string{"type", "folder", "author"} {
		if qs := alt[kind]; len(qs) > 0 {
			c.filters = append(c.filters, orQuery(qs))
		}
	}
	if q.Folder != "" {
		c.filters = append(c.filters, filterTerm(fACL, q.Folder))
	}
	if q.Author != "" {
		c.filters = append(c.filters, filterTerm(fAuthor, strings.ToLower(q.Author)))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		incl, excl := true, false
		dr := query.NewDateRangeInclusiveQuery(q.From, q.To, &incl, &excl)
		dr.SetField(fModified)
		dr.SetBoost(0)
		c.filters = append(c.filters, dr)
	}
	if !q.Access.All {
		seen := map[string]bool{}
		var roots []string
		for _, r := range q.Access.Roots {
			if r != "" && !seen[r] {
				seen[r] = true
				roots = append(roots, r)
			}
		}
		if len(roots) == 0 {
			return compiled{none: true}
		}
		c.acl = roots
	}
	c.cuts = cutsOf(c.acl, q.Access)
	var text []query.Query
	for _, cl := range c.clauses {
		text = append(text, cl.q)
	}
	c.q = c.assemble(andQuery(text))
	// Without words every score is 0; newest first is the useful order.
	c.byDate = q.Sort == "date" || !hasText
	return c
}

// cutsOf keeps the access's cuts (restricted folders below a root) of
// the roots in acl.
func cutsOf(acl []string, a Access) map[string][]string {
	var cuts map[string][]string
	for _, r := range acl {
		if cs := a.Cuts[r]; len(cs) > 0 {
			if cuts == nil {
				cuts = map[string][]string{}
			}
			cuts[r] = cs
		}
	}
	return cuts
}

// assemble builds the whole query around text (the user's clauses, nil
// for none): filters, exclusions, the name bonus and the permission filter.
func (c *compiled) assemble(text query.Query) query.Query {
	var should []query.Query
	if text != nil && c.nameAll != nil {
		if c.phrases {
			// Optional: it only adds to the score of documents whose name
			// holds every word, so a file named like the query comes first.
			should = []query.Query{c.nameAll}
		} else {
			// Without phrases a name or title holding every word
			// matches every clause (each word query matches the name and
			// the title, also in the forgiving passes' wider clauses), so
			// an alternative gives the same documents. It gives them the
			// bonus and the others half their score (bleve's coordination
			// factor), the same order within each group, without a boolean
			// searcher advancing the bonus to every candidate, a large
			// share of a word query's CPU.
			text = query.NewDisjunctionQuery([]query.Query{text, c.nameAll})
		}
	}
	var must []query.Query
	if text != nil {
		must = append(must, text)
	}
	must = append(must, c.filters...)
	var top query.Query
	switch len(must) {
	case 0:
		if c.acl == nil || len(c.mustNot) > 0 {
			top = query.NewMatchAllQuery()
		}
	case 1:
		top = must[0]
	default:
		top = query.NewConjunctionQuery(must)
	}
	if len(should) > 0 {
		top = query.NewBooleanQuery([]query.Query{top}, should, nil)
	}
	if len(c.mustNot) > 0 {
		top = &excludeQuery{inner: top, not: c.mustNot}
	}
	return c.restrict(top)
}

// restrict wraps q in the permission filter, if any.
func (c *compiled) restrict(q query.Query) query.Query {
	if c.acl != nil {
		return newACLFilterQuery(q, c.acl, c.cuts)
	}
	return q
}

func andQuery(qs []query.Query) query.Query {
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

// filterTerm is a term query that does not contribute to the score.
func filterTerm(field, term string) query.Query {
	tq := query.NewTermQuery(term)
	tq.SetField(field)
	tq.SetBoost(0)
	return tq
}

func orQuery(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

// hasTokens reports whether w contains anything searchable.
func (an *analyzers) hasTokens(w string) bool {
	return len(an.fold.Analyze([]byte(w))) > 0 || len(an.name.Analyze([]byte(w))) > 0
}

// isStopWord reports whether French or English analysis drops w.
func (an *analyzers) isStopWord(w string) bool {
	return len(an.fr.Analyze([]byte(w))) == 0 || len(an.en.Analyze([]byte(w))) == 0
}

// contentWords drops words with nothing searchable and, unless only they
// remain, stop words: "le budget" must not require "le" (an English
// document about budgets has none), but "to be or not to be" is kept.
func (an *analyzers) contentWords(words []string) []string {
	var content, stop []string
	for _, w := range words {
		switch {
		case !an.hasTokens(w):
		case an.isStopWord(w):
			stop = append(stop, w)
		default:
			content = append(content, w)
		}
	}
	if len(content) == 0 {
		return stop
	}
	return content
}

// wordQuery matches one user word in any field. Each field is queried with
// its own analyzer named explicitly: with per-language analyzers, leaving
// bleve to pick one from the mapping is non-deterministic.
func (an *analyzers) wordQuery(w string, prefix bool) query.Query {
	var ds []query.Query
	add := func(q query.Query) {
		if q != nil {
			ds = append(ds, q)
		}
	}
	add(fieldTerms(fContentFR, terms(an.fr, w), boostStemmed, false))
	// English analysis knows no elision: "l'association" must still find
	// "association" in an English document.
	add(fieldTerms(fContentEN, terms(an.en, stripElision(w)), boostStemmed, false))
	add(fieldTerms(fContent, terms(an.fold, w), boostFolded, false))
	nameTerms := terms(an.name, w)
	add(fieldTerms(fName, nameTerms, boostName, prefix))
	add(fieldTerms(fTitle, nameTerms, boostTitle, prefix))
	add(fieldTerms(fPath, nameTerms, boostPath, prefix))
	if k := foldKeyword(w); k != "" {
		tq := query.NewTermQuery(k)
		tq.SetField(fTagKey)
		tq.SetBoost(boostTag)
		add(tq)
	}
	return orQuery(ds)
}

// allWordsBonus matches a word's terms in the name or the title, for the
// bonus of documents whose name or title holds every word. The boosts are
// doubled because a disjunction scales its sum by the share of its
// clauses that match (a name alone gets boostNameAll).
func allWordsBonus(ts []string) query.Query {
	name := fieldTerms(fName, ts, 2*boostNameAll, false)
	if name == nil {
		return nil
	}
	return query.NewDisjunctionQuery([]query.Query{name, fieldTerms(fTitle, ts, 2*boostTitleAll, false)})
}

// fieldTerms requires every term in field (a word like "AG-2024" gives two
// terms). With prefix, terms long enough match as prefixes.
func fieldTerms(field string, ts []string, boost float64, prefix bool) query.Query {
	if len(ts) == 0 {
		return nil
	}
	qs := make([]query.Query, 0, len(ts))
	for _, t := range ts {
		if prefix && utf8.RuneCountInString(t) >= minPrefixRunes {
			pq := query.NewPrefixQuery(t)
			pq.SetField(field)
			pq.SetBoost(boost)
			qs = append(qs, pq)
			continue
		}
		tq := query.NewTermQuery(t)
		tq.SetField(field)
		tq.SetBoost(boost)
		qs = append(qs, tq)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

// phraseQuery matches the words in order in the folded content (accents
// and case optional, no stemming: a phrase is a request for exact words)
// or in the file name or title. See exactPhraseQuery for why not bleve's own.
func phraseQuery(ph string) query.Query {
	return query.NewDisjunctionQuery([]query.Query{
		newExactPhraseQuery(ph, fContent, anFold, 1),
		newExactPhraseQuery(ph, fName, anName, boostName),
		newExactPhraseQuery(ph, fTitle, anName, boostTitle),
	})
}

// frenchArticles are the elided words the French elision filter removes.
var frenchArticles = map[string]bool{
	"l": true, "m": true, "t": true, "qu": true, "n": true, "s": true, "j": true,
	"d": true, "c": true, "jusqu": true, "quoiqu": true, "lorsqu": true, "puisqu": true,
}

// stripElision removes a leading elided French article ("l'", "qu’").
func stripElision(w string) string {
	if i := strings.IndexAny(w, "'’"); i > 0 && frenchArticles[strings.ToLower(w[:i])] {
		_, size := utf8.DecodeRuneInString(w[i:])
		return w[i+size:]
	}
	return w
}
