package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/BurntSushi/toml"

	"notreasso/internal/acl"
	"notreasso/internal/filetype"
	"notreasso/internal/repo"
	"notreasso/ui"
)

// catMsg is one message of one language's catalogue.
type catMsg struct {
	file  string
	forms map[string]bool // plural forms (one, other…); nil for a plain string
}

// pluralKeys are the keys that make a TOML table a message (go-i18n's
// reserved keys) rather than a section.
var pluralKeys = []string{"zero", "one", "two", "few", "many", "other"}

// readCatalogues parses every ui/i18n/*.toml, grouped by language (the part
// of the name before .toml: share.fr.toml is French). An id defined twice
// in one language is an error: which one wins would depend on file order.
func readCatalogues(t *testing.T) map[string]map[string]catMsg {
	t.Helper()
	files, err := fs.Glob(ui.FS, "i18n/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogues: %v", err)
	}
	out := map[string]map[string]catMsg{}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".toml")
		lang := base[strings.LastIndex(base, ".")+1:]
		b, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]catMsg{}
		}
		var walk func(prefix string, v map[string]any)
		walk = func(prefix string, v map[string]any) {
			for k, x := range v {
				id := prefix + k
				msg := catMsg{file: path.Base(f)}
				if sub, ok := x.(map[string]any); ok {
					isMsg := false
					for _, pk := range pluralKeys {
						if _, ok := sub[pk]; ok {
							isMsg = true
						}
					}
					if !isMsg {
						walk(id+".", sub)
						continue
					}
					msg.forms = map[string]bool{}
					for _, pk := range pluralKeys {
						if _, ok := sub[pk]; ok {
							msg.forms[pk] = true
						}
					}
				}
				if prev, dup := out[lang][id]; dup {
					t.Errorf("%s is defined twice in %s: %s and %s", id, lang, prev.file, msg.file)
				}
				out[lang][id] = msg
			}
		}
		walk("", m)
	}
	return out
}

// msgUse is one place the code asks for a message: a fixed id, or a prefix
// completed at run time ("act." + the journal action).
type msgUse struct {
	id     string
	prefix bool
	suffix string // "prefix"+value+"suffix": what follows the value
	count  bool   // called with a "Count": needs plural forms
	where  string
}

// templateUses finds every {{.L.T "id" …}} and {{$.L.T (print "prefix" …) …}}
// in the page templates, by parsing them.
func templateUses(t *testing.T) []msgUse {
	t.Helper()
	files, _ := fs.Glob(ui.FS, "templates/*.html")
	var out []msgUse
	for _, f := range files {
		b, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		tr := parse.New(f)
		tr.Mode = parse.SkipFuncCheck
		trees := map[string]*parse.Tree{}
		if _, err := tr.Parse(string(b), "{{", "}}", trees); err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for name, tree := range trees {
			var walk func(n parse.Node)
			walk = func(n parse.Node) {
				switch n := n.(type) {
				case *parse.ListNode:
					if n == nil {
						return
					}
					for _, x := range n.Nodes {
						walk(x)
					}
				case *parse.ActionNode:
					walk(n.Pipe)
				case *parse.IfNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.RangeNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.WithNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.TemplateNode:
					walk(n.Pipe)
				case *parse.PipeNode:
					if n == nil {
						return
					}
					for _, c := range n.Cmds {
						walk(c)
					}
				case *parse.CommandNode:
					if u, ok := templateUse(n); ok {
						u.where = f + " (" + name + ")"
						out = append(out, u)
					}
					for _, a := range n.Args {
						walk(a)
					}
				}
			}
			walk(tree.Root)
		}
	}
	return out
}

// templateUse recognises a translation call: the method T (.L.T, $.L.T)
// or a function t.
func templateUse(n *parse.CommandNode) (msgUse, bool) {
	if len(n.Args) < 2 {
		return msgUse{}, false
	}
	var idents []string
	switch f := n.Args[0].(type) {
	case *parse.FieldNode:
		idents = f.Ident
	case *parse.VariableNode:
		idents = f.Ident
	case *parse.IdentifierNode:
		idents = []string{f.Ident}
	default:
		return msgUse{}, false
	}
	if last := idents[len(idents)-1]; last != "T" && last != "t" {
		return msgUse{}, false
	}
	var u msgUse
	switch a := n.Args[1].(type) {
	case *parse.StringNode:
		u.id = a.Text
	case *parse.FieldNode:
		if a.Ident[len(a.Ident)-1] != "MessageID" {
			return msgUse{id: "?" + a.String()}, true
		}
		u.id, u.prefix = eventMessage, true
	case *parse.PipeNode:
		if len(a.Cmds) != 1 || len(a.Cmds[0].Args) < 2 {
			return msgUse{}, false
		}
		fn, ok1 := a.Cmds[0].Args[0].(*parse.IdentifierNode)
		s, ok2 := a.Cmds[0].Args[1].(*parse.StringNode)
		if !ok1 || !ok2 || fn.Ident != "print" {
			return msgUse{id: "?" + a.String()}, true
		}
		u.id, u.prefix = s.Text, true
	default:
		return msgUse{id: "?" + a.String()}, true
	}
	for i := 2; i < len(n.Args); i += 2 {
		if s, ok := n.Args[i].(*parse.StringNode); ok && s.Text == "Count" {
			u.count = true
		}
	}
	return u, true
}

// goFiles parses a package directory's non-test Go files.
func goFiles(t *testing.T, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return fset, out
}

func strLit(e ast.Expr) (string, bool) {
	if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	return "", false
}

// goUses finds every call x.T("id", …) or x.T("prefix"+…, …) in this
// package's code.
func goUses(t *testing.T) []msgUse {
	t.Helper()
	fset, files := goFiles(t, ".")
	var out []msgUse
	for _, f := range files {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			if fn == nil || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 || !isSel(call.Fun, "T") {
					return true
				}
				count := false
				for i := 1; i < len(call.Args); i += 2 {
					if s, ok := strLit(call.Args[i]); ok && s == "Count" {
						count = true
					}
				}
				where := fset.Position(call.Pos()).String()
				exprs := []ast.Expr{call.Args[0]}
				if id, ok := call.Args[0].(*ast.Ident); ok {
					exprs = assignedTo(fn, id.Name) // a variable: what it is set to
				}
				if len(exprs) == 0 {
					out = append(out, msgUse{id: "?unresolvable", where: where})
				}
				for _, e := range exprs {
					u := msgUse{where: where, count: count}
					if s, ok := strLit(e); ok {
						u.id = s
					} else if c, ok := e.(*ast.CallExpr); ok && isSel(c.Fun, "MessageID") {
						u.id, u.prefix = eventMessage, true
					} else if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
						if inner, ok := b.X.(*ast.BinaryExpr); ok && inner.Op == token.ADD {
							// "prefix" + value + "suffix"
							if suf, ok := strLit(b.Y); ok {
								u.suffix, b = suf, inner
							}
						}
						s, ok := strLit(b.X)
						if !ok {
							s = "?unresolvable"
						}
						u.id, u.prefix = s, ok
					} else {
						u.id = "?unresolvable"
					}
					out = append(out, u)
				}
				return true
			})
		}
	}
	return out
}

// assignedTo lists the expressions a function assigns to a variable.
func assignedTo(fn *ast.FuncDecl, name string) []ast.Expr {
	var out []ast.Expr
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, l := range as.Lhs {
				if li, ok := l.(*ast.Ident); ok && li.Name == name {
					out = append(out, as.Rhs[i])
				}
			}
		}
		return true
	})
	return out
}

// nameRules are repo's name rules (the Rule… constants), read from its
// source: each has its err.name_msg_<rule> message.
func nameRules(t *testing.T) []string {
	t.Helper()
	_, files := goFiles(t, "../repo")
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Rule") {
				return true
			}
			if s, ok := strLit(vs.Values[0]); ok {
				out = append(out, s)
			}
			return true
		})
	}
	if len(out) < 5 {
		t.Fatalf("repo's name rules not found: %v", out)
	}
	return out
}

// eventMessage stands for repo.Event.MessageID(): "act." + the action, or
// "act." + the action + "_hidden" when it came from a hidden folder.
const eventMessage = "act.|MessageID"

func isSel(e ast.Expr, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == name
}

// literalValues lists the string values an expression can take inside a
// function: a literal; a variable's literal assignments; a parameter's
// literal arguments at every call of the function in the package; and
// "lit"+variable combinations of those.
func literalValues(e ast.Expr, fn *ast.FuncDecl, files []*ast.File) []string {
	if s, ok := strLit(e); ok {
		return []string{s}
	}
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
		var out []string
		for _, x := range literalValues(b.X, fn, files) {
			for _, y := range literalValues(b.Y, fn, files) {
				out = append(out, x+y)
			}
		}
		return out
	}
	id, ok := e.(*ast.Ident)
	if !ok || fn == nil {
		return nil
	}
	var out []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, l := range as.Lhs {
				if li, ok := l.(*ast.Ident); ok && li.Name == id.Name {
					if s, ok := strLit(as.Rhs[i]); ok {
						out = append(out, s)
					}
					if call, ok := as.Rhs[i].(*ast.CallExpr); ok {
						if f, ok := call.Fun.(*ast.Ident); ok {
							out = append(out, returnedLiterals(f.Name, files)...)
						}
					}
				}
			}
		}
		return true
	})
	// A parameter: the literal arguments of the function's callers.
	pos := 0
	for _, fld := range fn.Type.Params.List {
		for _, name := range fld.Names {
			if name.Name == id.Name {
				out = append(out, callArgs(fn.Name.Name, pos, files)...)
			}
			pos++
		}
	}
	return out
}

// returnedLiterals is the string literals a package function returns.
func returnedLiterals(name string, files []*ast.File) []string {
	var out []string
	for _, f := range files {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			if fn == nil || fn.Body == nil || fn.Recv != nil || fn.Name.Name != name {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if r, ok := n.(*ast.ReturnStmt); ok {
					for _, e := range r.Results {
						if s, ok := strLit(e); ok {
							out = append(out, s)
						}
					}
				}
				return true
			})
		}
	}
	return out
}

// callArgs is the values of argument pos at every call of a function (or
// method) named name.
func callArgs(name string, pos int, files []*ast.File) []string {
	var out []string
	for _, f := range files {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			if fn == nil || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) <= pos {
					return true
				}
				callee := ""
				switch f := call.Fun.(type) {
				case *ast.Ident:
					callee = f.Name
				case *ast.SelectorExpr:
					callee = f.Sel.Name
				}
				if callee == name {
					out = append(out, literalValues(call.Args[pos], fn, files)...)
				}
				return true
			})
		}
	}
	return out
}

// journalActions is every action the code writes to the journal (what
// /activity and the feeds show), read from the calls to repo's journal
// and auth's audit.
func journalActions(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	for _, dir := range []string{"../repo", "../auth"} {
		_, files := goFiles(t, dir)
		for name, pos := range map[string]int{"journal": 4, "audit": 3} {
			for _, a := range callArgs(name, pos, files) {
				set[a] = true
			}
		}
	}
	if len(set) < 20 {
		t.Fatalf("found only %d journal actions: the source scan is broken", len(set))
	}
	return setKeys(set)
}

// journalActionsFrom are the actions journalled on a node with a "from"
// (moves, copies, restores): when it lies in a folder the reader may not
// read, the event says so with act.<action>_hidden.
func journalActionsFrom(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	_, files := goFiles(t, "../repo")
	for _, f := range files {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			if fn == nil || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !isSel(call.Fun, "journal") || len(call.Args) != 6 {
					return true
				}
				lit, ok := call.Args[5].(*ast.CompositeLit)
				if !ok {
					return true
				}
				for _, el := range lit.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, _ := strLit(kv.Key); k == "from" {
							for _, a := range literalValues(call.Args[4], fn, files) {
								set[a] = true
							}
						}
					}
				}
				return true
			})
		}
	}
	if !set["move"] || !set["copy"] {
		t.Fatalf("moves and copies journal no \"from\": %v", set)
	}
	return setKeys(set)
}

// redirectKeys is every ?ok= / ?err= message key the handlers redirect
// with: back(c, "ok"|"err", key), done(c, err, okKey), "…?ok=key" in a URL,
// and for err the codes errorCode and htmlError give.
func redirectKeys(t *testing.T, param string) []string {
	t.Helper()
	_, files := goFiles(t, ".")
	set := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			if fn == nil || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					id, _ := n.Fun.(*ast.Ident)
					if id == nil {
						return true
					}
					if id.Name == "back" && len(n.Args) == 3 {
						if p, _ := strLit(n.Args[1]); p == param {
							for _, v := range literalValues(n.Args[2], fn, files) {
								set[v] = true
							}
						}
					}
					if id.Name == "done" && param == "ok" && len(n.Args) == 3 {
						for _, v := range literalValues(n.Args[2], fn, files) {
							set[v] = true
						}
					}
				case *ast.BasicLit:
					s, _ := strLit(n)
					for _, sep := range []string{"?" + param + "=", "&" + param + "="} {
						if _, after, ok := strings.Cut(s, sep); ok {
							key, _, _ := strings.Cut(after, "&")
							key, _, _ = strings.Cut(key, "#")
							set[key] = true
						}
					}
				case *ast.ReturnStmt:
					if param == "err" && fn.Name.Name == "errorCode" && len(n.Results) == 2 {
						if s, ok := strLit(n.Results[1]); ok {
							set[s] = true
						}
					}
				case *ast.AssignStmt:
					if param == "err" && fn.Name.Name == "htmlError" {
						for _, r := range n.Rhs {
							if s, ok := strLit(r); ok {
								set[s] = true
							}
						}
					}
				}
				return true
			})
		}
	}
	delete(set, "") // done(c, err, "") on a path that can only fail
	return setKeys(set)
}

// journalDetails is every detail key the code writes with a journal entry
// (what the audit log lists as « label: value »): the keys of the string
// maps and the indexes of details[…] = … in repo's journal and auth's audit
// and in the functions that call them; a closure's parameter used as the
// key (set("email", …)) is completed with its callers' literals.
func journalDetails(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	for _, dir := range []string{"../repo", "../auth"} {
		_, files := goFiles(t, dir)
		for _, f := range files {
			for _, d := range f.Decls {
				fn, _ := d.(*ast.FuncDecl)
				if fn == nil || fn.Body == nil {
					continue
				}
				journals := fn.Name.Name == "journal" || fn.Name.Name == "audit"
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					if c, ok := n.(*ast.CallExpr); ok && (isSel(c.Fun, "journal") || isSel(c.Fun, "audit")) {
						journals = true
					}
					return true
				})
				if !journals {
					continue
				}
				keys := func(e ast.Expr) {
					vals := literalValues(e, fn, files)
					if id, ok := e.(*ast.Ident); ok && len(vals) == 0 {
						vals = closureArgs(fn, id.Name)
					}
					for _, v := range vals {
						set[v] = true
					}
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.CompositeLit:
						mt, ok := n.Type.(*ast.MapType)
						if !ok {
							return true
						}
						if k, _ := mt.Key.(*ast.Ident); k == nil || k.Name != "string" {
							return true
						}
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								keys(kv.Key)
							}
						}
					case *ast.AssignStmt:
						for _, l := range n.Lhs {
							if ix, ok := l.(*ast.IndexExpr); ok {
								if m, ok := ix.X.(*ast.Ident); ok && (m.Name == "details" || m.Name == "changed") {
									keys(ix.Index)
								}
							}
						}
					}
					return true
				})
			}
		}
	}
	for _, k := range []string{"path", "login", "display_name", "rename"} {
		if !set[k] {
			t.Fatalf("journal details miss %q (%v): the source scan is broken", k, setKeys(set))
		}
	}
	return setKeys(set)
}

// closureArgs: name is a parameter of a function literal assigned to a
// variable in fn; the literal values it is called with there.
func closureArgs(fn *ast.FuncDecl, name string) []string {
	var out []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		lit, ok := as.Rhs[0].(*ast.FuncLit)
		v, ok2 := as.Lhs[0].(*ast.Ident)
		if !ok || !ok2 {
			return true
		}
		pos := 0
		for _, fld := range lit.Type.Params.List {
			for _, pn := range fld.Names {
				if pn.Name == name {
					ast.Inspect(fn.Body, func(n ast.Node) bool {
						if c, ok := n.(*ast.CallExpr); ok && len(c.Args) > pos {
							if f, ok := c.Fun.(*ast.Ident); ok && f.Name == v.Name {
								if s, ok := strLit(c.Args[pos]); ok {
									out = append(out, s)
								}
							}
						}
						return true
					})
				}
				pos++
			}
		}
		return true
	})
	return out
}

// groupableActions reads repo's groupable map (unexported) from its source.
func groupableActions(t *testing.T) []string {
	t.Helper()
	_, files := goFiles(t, "../repo")
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "groupable" || len(vs.Values) != 1 {
				return true
			}
			for _, el := range vs.Values[0].(*ast.CompositeLit).Elts {
				if s, ok := strLit(el.(*ast.KeyValueExpr).Key); ok {
					out = append(out, s)
				}
			}
			return false
		})
	}
	if len(out) == 0 {
		t.Fatal("repo's groupable map not found")
	}
	return out
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dynamicIDs completes a prefix with every value the code can give it.
// A new prefix must be taught here: the test fails on one it does not know.
func dynamicIDs(t *testing.T, prefix string) ([]string, error) {
	var vals []string
	switch prefix {
	case eventMessage:
		var out []string
		for _, a := range journalActions(t) {
			out = append(out, "act."+a)
		}
		for _, a := range journalActionsFrom(t) {
			out = append(out, "act."+a+"_hidden")
		}
		return out, nil
	case "act.":
		vals = journalActions(t)
	case "actgroup.":
		vals = groupableActions(t)
	case "feed.kind.":
		vals = repo.FeedActions
	case "ok.":
		vals = redirectKeys(t, "ok")
	case "err.":
		vals = redirectKeys(t, "err")
	case "urole.":
		vals = []string{string(acl.Admin), string(acl.Member), string(acl.Guest)}
	case "role.":
		for r := acl.None; r <= acl.Manager; r++ {
			vals = append(vals, r.String())
		}
	case "col.":
		vals = sortKeys
	case "facet.":
		vals = facetKeys
	case "family.f_", "ftype.f_":
		vals = filetype.Families
	case "extract.":
		vals = extractStates
	case "err.name_msg_":
		vals = nameRules(t)
	case "audit.k_":
		vals = auditKinds
	case "audit.":
		acts := journalActions(t)
		for _, a := range auditWorded {
			if !slices.Contains(acts, a) {
				return nil, fmt.Errorf("auditWorded has %q, which nothing journals", a)
			}
		}
		vals = auditWorded
	case "audit.d_":
		for _, k := range journalDetails(t) {
			if !slices.Contains(auditHidden, k) {
				vals = append(vals, k)
			}
		}
	case "ret.f_":
		vals = ageFields
	case "ret.s_":
		vals = retentionSteps
	case "share.role_help.":
		vals = grantRoles
	case "share.use.":
		// The share panel's history: the share_… actions (repo.ShareHistory).
		for _, a := range journalActions(t) {
			if strings.HasPrefix(a, "share_") {
				vals = append(vals, a)
			}
		}
	case "sharepage.":
		vals = sharePageKeys
	default:
		return nil, fmt.Errorf("message prefix %q: teach dynamicIDs where its values come from", prefix)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = prefix + v
	}
	return out, nil
}

// TestMessageCatalogue: every message id the templates and the Go code use
// exists in every language, with the plural forms one and other wherever it
// is called with a count; and the languages have the same ids.
func TestMessageCatalogue(t *testing.T) {
	cats := readCatalogues(t)
	if len(cats) != 2 || cats["fr"] == nil || cats["en"] == nil {
		t.Fatalf("languages: want fr and en, have %v", setKeys(func() map[string]bool {
			m := map[string]bool{}
			for l := range cats {
				m[l] = true
			}
			return m
		}()))
	}
	uses := append(templateUses(t), goUses(t)...)
	if len(uses) < 200 {
		t.Fatalf("found only %d message uses: the scan is broken", len(uses))
	}
	type need struct {
		count bool
		where string
	}
	needed := map[string]need{}
	for _, u := range uses {
		if strings.HasPrefix(u.id, "?") {
			t.Errorf("%s: a message id the test cannot resolve (%s): use a literal or \"prefix\"+value", u.where, u.id[1:])
			continue
		}
		ids := []string{u.id}
		if u.prefix {
			var err error
			if ids, err = dynamicIDs(t, u.id); err != nil {
				t.Errorf("%s: %v", u.where, err)
				continue
			}
			for i := range ids {
				ids[i] += u.suffix
			}
		}
		for _, id := range ids {
			n := needed[id]
			n.count = n.count || u.count
			if n.where == "" {
				n.where = u.where
			}
			needed[id] = n
		}
	}
	for _, id := range setKeys(func() map[string]bool {
		m := map[string]bool{}
		for id := range needed {
			m[id] = true
		}
		return m
	}()) {
		n := needed[id]
		for _, lang := range []string{"fr", "en"} {
			msg, ok := cats[lang][id]
			switch {
			case !ok:
				t.Errorf("%s: message %s is missing in %s", n.where, id, lang)
			case n.count && (!msg.forms["one"] || !msg.forms["other"]):
				t.Errorf("%s: message %s is called with a count but has no one/other plural forms in %s (%s)", n.where, id, lang, msg.file)
			}
		}
	}
	for id, m := range cats["fr"] {
		if _, ok := cats["en"][id]; !ok {
			t.Errorf("%s is in French (%s), not in English", id, m.file)
		}
	}
	for id, m := range cats["en"] {
		if _, ok := cats["fr"][id]; !ok {
			t.Errorf("%s is in English (%s), not in French", id, m.file)
		}
	}
}

// The scanners find what they claim to: a known static id, a prefix and a
// count, so an empty scan cannot pass the test above.
func TestMessageCatalogueScanners(t *testing.T) {
	uses := append(templateUses(t), goUses(t)...)
	has := func(want msgUse) bool {
		return slices.ContainsFunc(uses, func(u msgUse) bool {
			return u.id == want.id && u.prefix == want.prefix && u.count == want.count
		})
	}
	for _, want := range []msgUse{
		{id: "login.title"},              // template and Go
		{id: eventMessage, prefix: true}, // activity.html .MessageID
		{id: "search.total", count: true},
		{id: "actgroup.", prefix: true, count: true},
		{id: "col.", prefix: true}, // Go: pg.L.T("col." + k)
	} {
		if !has(want) {
			t.Errorf("scan misses %+v", want)
		}
	}
	acts := journalActions(t)
	for _, a := range []string{"grant_add", "user_passwd", "group_member_add", "tag_rename", "create", "share_view"} {
		if !slices.Contains(acts, a) {
			t.Errorf("journal actions miss %s: %v", a, acts)
		}
	}
	if oks := redirectKeys(t, "ok"); !slices.Contains(oks, "collection_saved") || !slices.Contains(oks, "renamed") {
		t.Errorf("ok keys: %v", oks)
	}
	if errs := redirectKeys(t, "err"); !slices.Contains(errs, "name_slash") || !slices.Contains(errs, "throttled") {
		t.Errorf("err keys: %v", errs)
	}
}

// renderPage executes a page template with data in a language, recording
// every message the catalogue lacked.
func renderPage(t *testing.T, name, lang string, data any) (string, []string) {
	t.Helper()
	v, err := loadViews()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	v.cat.missing = func(lang, id string, err error) { missing = append(missing, lang+":"+id) }
	tag, _ := supported(lang)
	pg := &page{L: v.cat.locale(tag), User: acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}, Admin: true, Data: data}
	var b strings.Builder
	if err := v.pages[name].ExecuteTemplate(&b, "layout", pg); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return b.String(), missing
}

// Every journal action reads as a sentence on /activity, alone or (those
// that come in bursts) grouped, and no message is missing.
func TestActivityShowsNoRawIDs(t *testing.T) {
	var groups []repo.EventGroup
	for _, a := range journalActions(t) {
		groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1}, Count: 1, Folder: "/Bureau"})
	}
	for _, a := range journalActionsFrom(t) {
		groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1, FromHidden: true}, Count: 1, Folder: "/Bureau"})
	}
	for _, a := range groupableActions(t) {
		for _, n := range []int{2, 3} {
			groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1}, Count: n, Folder: "/Bureau"})
		}
	}
	for _, lang := range []string{"fr", "en"} {
		out, missing := renderPage(t, "activity", lang, struct {
			Groups []repo.EventGroup
			Folder string
		}{groups, ""})
		if len(missing) > 0 {
			t.Errorf("%s: messages missing: %v", lang, missing)
		}
		for _, raw := range []string{"act.", "actgroup."} {
			if strings.Contains(out, raw) {
				i := strings.Index(out, raw)
				t.Errorf("%s: a raw id on /activity: …%s…", lang, out[max(0, i-40):min(len(out), i+60)])
			}
		}
	}
}

// A message the catalogue lacks is shown as its id and reported to the
// missing hook (the server logs it); plural forms are found for 0, 1 and 2.
func TestMissingMessageIsReported(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cat.missing = func(lang, id string, err error) { got = append(got, lang+":"+id) }
	for _, tag := range languages {
		l := cat.locale(tag)
		for _, n := range []int{0, 1, 2} {
			if s := l.T("tag.count", "Count", n); strings.Contains(s, "tag.count") {
				t.Errorf("%s: tag.count with %d: %q", tag, n, s)
			}
		}
		if s := l.T("no.such_message"); s != "no.such_message" {
			t.Errorf("%s: a missing message shows %q, want its id", tag, s)
		}
		if l.Has("no.such_message") || !l.Has("login.title") {
			t.Errorf("%s: Has is wrong", tag)
		}
	}
	if want := []string{"fr:no.such_message", "en:no.such_message"}; !slices.Equal(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
}
