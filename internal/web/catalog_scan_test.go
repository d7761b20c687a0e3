package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The catalogue test's readers of the Go source: where message ids and
// the values of computed ids (journal actions, redirect keys, name rules…)
// come from.

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
