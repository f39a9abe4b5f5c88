package signature

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"unicode/utf8"
)

// DefaultName is the built-in template's name. A stored template with the
// same name replaces it.
const DefaultName = "default"

//go:embed default.tmpl
var defaultSource string

// textFallback is the plain-text variant of templates that define none.
const textFallback = `{{define "text"}}{{.DisplayName}}{{with attr "pronouns"}} ({{.}}){{end}}
{{or .Title "Team member"}}{{with .Department}} · {{.}}{{end}}
{{with .Organization}}{{.}}
{{end}}{{with .MobilePhone}}Mobile: {{phone .}}
{{end}}{{with .PrimaryPhone}}Phone: {{phone .}}
{{end}}{{.Email}}
{{end}}`

// Template is a parsed, validated signature template.
type Template struct {
	Name   string
	Source string
	// Required are the fields the template prints without a fallback:
	// users missing one get a visibly incomplete signature (coverage lists
	// them). Fields printed through or, or inside {{if}}/{{with}} on the
	// same field, are optional.
	Required []string
	// Fields are all the fields and attributes the template reads.
	Fields []string
	// OwnText reports that the source defines its own "text" variant.
	OwnText bool

	html *htmltemplate.Template // unexecuted prototype: renderers clone it
	text *texttemplate.Template
}

// TemplateError is a template problem with its position in the source.
type TemplateError struct {
	Template string
	Line     int // 1-based; 0 when unknown
	Col      int // 1-based; 0 when unknown
	Msg      string
}

func (e *TemplateError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("template %s: line %d, column %d: %s", e.Template, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("template %s: line %d: %s", e.Template, e.Line, e.Msg)
	}
	return fmt.Sprintf("template %s: %s", e.Template, e.Msg)
}

// maxSource bounds a template's size: signatures are small, and the
// cache is no place for megabytes of markup.
const maxSource = 256 << 10

// validName reports whether a template name is usable as a cache key and
// a file name.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Parse parses and validates a template: syntax, unknown fields and
// functions, and a trial render against a complete and an empty profile
// (which also catches html/template's context errors). Errors are
// *TemplateError with line and column.
func Parse(name, src string) (*Template, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("template name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if len(src) > maxSource {
		return nil, &TemplateError{Template: name, Msg: fmt.Sprintf("source is %d bytes, the limit is %d", len(src), maxSource)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &TemplateError{Template: name, Msg: "the template is empty"}
	}
	h, err := htmltemplate.New(name).Funcs(funcs(true)).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, parseError(name, src, err)
	}
	t := &Template{Name: name, Source: src}
	if h.Lookup("html") != nil {
		h = h.Lookup("html")
	}
	if strings.TrimSpace(stripDefines(src)) == "" && h.Name() != "html" {
		return nil, &TemplateError{Template: name, Line: 1, Col: 1, Msg: `no HTML signature: write it at the top level or in {{define "html"}}`}
	}
	textSrc := src
	t.OwnText = h.Lookup("text") != nil
	if !t.OwnText {
		textSrc = textFallback
	}
	tx, err := texttemplate.New(name).Funcs(funcs(false)).Option("missingkey=error").Parse(textSrc)
	if err != nil {
		return nil, parseError(name, textSrc, err)
	}
	t.html, t.text = h, tx.Lookup("text")

	var fieldErr error
	a := analyser{src: src, name: name, required: map[string]bool{}, fields: map[string]bool{}}
	for _, tt := range h.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		a.walk(tt.Tree.Root, nil, true)
		if a.err != nil && fieldErr == nil {
			fieldErr = a.err
		}
	}
	if fieldErr != nil {
		return nil, fieldErr
	}
	for f := range a.required {
		t.Required = append(t.Required, f)
	}
	for f := range a.fields {
		t.Fields = append(t.Fields, f)
	}
	slices.Sort(t.Required)
	slices.Sort(t.Fields)

	full := sampleData()
	for _, d := range []*Data{full, {attrs: map[string]string{}}} {
		r := newRenderer([]*Template{t})
		if _, _, err := r.render(t, d); err != nil {
			return nil, execError(name, err)
		}
	}
	return t, nil
}

// MustDefault returns the built-in template.
func MustDefault() *Template {
	t, err := Parse(DefaultName, defaultSource)
	if err != nil {
		panic(fmt.Sprintf("built-in signature template: %v", err))
	}
	return t
}

// stripDefines removes {{define}}…{{end}} blocks crudely, to tell whether
// anything is left at the top level; the parser has already accepted the
// source, so the blocks are balanced.
func stripDefines(src string) string {
	t, err := parse.Parse("x", src, "", "", funcs(false))
	if err != nil {
		return src
	}
	root := t["x"]
	if root == nil || root.Root == nil {
		return ""
	}
	var b strings.Builder
	for _, n := range root.Root.Nodes {
		if n.Type() == parse.NodeText {
			b.WriteString(n.String())
		} else {
			b.WriteString("x")
		}
	}
	return b.String()
}

var (
	// template: NAME:LINE: msg  /  template: NAME:LINE:COL: executing ...
	reParseErr = regexp.MustCompile(`^(?:html/)?template: ?[^:]*:(\d+)(?::(\d+))?: (.*)$`)
	// html/template escaper errors: html/template:NAME:LINE:COL: msg
	reEscapeErr = regexp.MustCompile(`^html/template:[^:]*:(\d+)(?::(\d+))?: (.*)$`)
)

// parseError turns a parser error into a TemplateError. The parser names
// only the line, so the column is that of the first action on the line
// that fails to parse on its own.
func parseError(name, src string, err error) error {
	msg := err.Error()
	m := reParseErr.FindStringSubmatch(msg)
	if m == nil {
		return &TemplateError{Template: name, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	te := &TemplateError{Template: name, Line: line, Msg: m[3]}
	if m[2] != "" {
		te.Col, _ = strconv.Atoi(m[2])
		return te
	}
	te.Col = badActionColumn(src, line)
	return te
}

// badActionColumn finds the 1-based column (in characters) of the first
// action on a line that does not parse by itself; block keywords (if,
// end, ...) parse alone with an "unexpected"/"missing end" complaint,
// which does not count.
func badActionColumn(src string, line int) int {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	first := 0
	for off := 0; ; {
		i := strings.Index(l[off:], "{{")
		if i < 0 {
			break
		}
		start := off + i
		end := strings.Index(l[start:], "}}")
		action := l[start:]
		if end >= 0 {
			action = l[start : start+end+2]
		}
		col := len([]rune(l[:start])) + 1
		if first == 0 {
			first = col
		}
		if end < 0 {
			return col
		}
		_, err := parse.Parse("x", action, "", "", funcs(false), builtinNames())
		if err != nil && !blockComplaint(err.Error()) {
			return col
		}
		off = start + end + 2
	}
	if first == 0 {
		return 1
	}
	return first
}

func blockComplaint(msg string) bool {
	for _, s := range []string{"unexpected {{end}}", "unexpected {{else", "unexpected EOF", "missing end", "unexpected {{break}}", "unexpected {{continue}}"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// builtinNames makes text/template's built-in functions known to a bare
// parse.Parse, which does not know them.
func builtinNames() map[string]any {
	m := map[string]any{}
	for _, n := range []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"} {
		m[n] = fmt.Sprint
	}
	return m
}

// execError turns an execution or escaping error into a TemplateError.
func execError(name string, err error) error {
	msg := err.Error()
	m := reParseErr.FindStringSubmatch(msg)
	if m == nil {
		m = reEscapeErr.FindStringSubmatch(msg)
	}
	var he *htmltemplate.Error
	if errors.As(err, &he) && he.Line > 0 && m == nil {
		return &TemplateError{Template: name, Line: he.Line, Msg: he.Description}
	}
	if m == nil {
		return &TemplateError{Template: name, Msg: msg}
	}
	te := &TemplateError{Template: name, Msg: m[3]}
	te.Line, _ = strconv.Atoi(m[1])
	te.Col, _ = strconv.Atoi(m[2])
	return te
}

// sampleData is a profile with every field filled, for trial renders.
func sampleData() *Data {
	d := &Data{}
	for name := range fieldNames {
		reflectSet(d, name, "Sample "+name)
	}
	d.MobilePhone, d.PrimaryPhone = "+1 555 010 0000", "+44 20 7946 0958"
	d.attrs = map[string]string{"pronouns": "they/them", "costCenter": "CC-1000"}
	return d
}

// analyser walks a template's parse tree to find the fields it reads,
// which of them it prints without a fallback, and references to fields
// Data does not have.
type analyser struct {
	src      string
	name     string
	required map[string]bool
	fields   map[string]bool
	err      error
}

// walk visits n. guarded holds the fields an enclosing if/with tested;
// dataDot reports whether dot is still the Data (not inside range/with).
func (a *analyser) walk(n parse.Node, guarded []string, dataDot bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			a.walk(c, guarded, dataDot)
		}
	case *parse.ActionNode:
		a.pipe(n.Pipe, guarded, dataDot, true)
	case *parse.IfNode:
		a.branch(&n.BranchNode, guarded, dataDot, dataDot)
	case *parse.WithNode:
		a.branch(&n.BranchNode, guarded, dataDot, false)
	case *parse.RangeNode:
		a.branch(&n.BranchNode, guarded, dataDot, false)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			a.pipe(n.Pipe, guarded, dataDot, false)
		}
	}
}

func (a *analyser) branch(b *parse.BranchNode, guarded []string, dataDot, innerDot bool) {
	tested := a.pipe(b.Pipe, guarded, dataDot, false)
	a.walk(b.List, append(slices.Clone(guarded), tested...), innerDot)
	if b.ElseList != nil {
		a.walk(b.ElseList, guarded, dataDot)
	}
}

// pipe records the fields a pipeline reads and returns them. printed
// says the pipeline's value is output (an action), where a field without
// a fallback is required.
func (a *analyser) pipe(p *parse.PipeNode, guarded []string, dataDot, printed bool) []string {
	if p == nil {
		return nil
	}
	var all []string
	for _, c := range p.Cmds {
		reads, needs := a.cmdRefs(c, dataDot)
		all = append(all, reads...)
		for _, f := range needs {
			if printed && !slices.Contains(guarded, f) {
				a.required[f] = true
			}
		}
	}
	return all
}

// cmdRefs returns the fields and attributes one command reads, and those
// of them it needs: everything except what an or/and/not/eq/... call
// reads, since those supply their own fallback. attr "name" reads the
// attribute name.
func (a *analyser) cmdRefs(c *parse.CommandNode, dataDot bool) (reads, needs []string) {
	if len(c.Args) > 1 && (isIdent(c.Args[0], "attr") || isField(c.Args[0], "Attr", "Field")) {
		if s, ok := c.Args[1].(*parse.StringNode); ok {
			a.fields[s.Text] = true
			return []string{s.Text}, []string{s.Text}
		}
	}
	fallback := len(c.Args) > 0 && isIdent(c.Args[0], "or", "and", "not", "eq", "ne", "lt", "le", "gt", "ge", "len")
	for _, arg := range c.Args {
		var r, n []string
		switch arg := arg.(type) {
		case *parse.PipeNode:
			for _, sub := range arg.Cmds {
				sr, sn := a.cmdRefs(sub, dataDot)
				r, n = append(r, sr...), append(n, sn...)
			}
		case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode:
			r = a.refs(arg, dataDot)
			n = r
		}
		reads = append(reads, r...)
		if !fallback {
			needs = append(needs, n...)
		}
	}
	return reads, needs
}

// isField reports a method call on dot such as .Attr "costCenter".
func isField(n parse.Node, names ...string) bool {
	f, ok := n.(*parse.FieldNode)
	return ok && len(f.Ident) == 1 && slices.Contains(names, f.Ident[0])
}

func isIdent(n parse.Node, names ...string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && slices.Contains(names, id.Ident)
}

// refs returns the Data fields a field, variable or chain node reads.
func (a *analyser) refs(n parse.Node, dataDot bool) []string {
	switch n := n.(type) {
	case *parse.FieldNode:
		if !dataDot {
			return nil
		}
		return a.field(n, n.Ident)
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			return a.field(n, n.Ident[1:])
		}
	case *parse.ChainNode:
		if p, ok := n.Node.(*parse.PipeNode); ok {
			var out []string
			for _, c := range p.Cmds {
				r, _ := a.cmdRefs(c, dataDot)
				out = append(out, r...)
			}
			return out
		}
		return a.refs(n.Node, dataDot)
	}
	return nil
}

func (a *analyser) field(n parse.Node, idents []string) []string {
	name := idents[0]
	if name == "Attr" || name == "Field" {
		return nil // Data's methods; cmdRefs records their attribute
	}
	if !fieldNames[name] {
		if a.err == nil {
			te := &TemplateError{Template: a.name, Msg: fmt.Sprintf("unknown field .%s (fields: %s; use {{attr %q}} for other profile attributes)", name, strings.Join(sortedFields(), ", "), lowerFirst(name))}
			te.Line, te.Col = position(a.src, int(n.Position()))
			a.err = te
		}
		return nil
	}
	a.fields[name] = true
	return []string{name}
}

// position turns a byte offset into a 1-based line and column (in
// characters, as an editor counts them).
func position(src string, off int) (line, col int) {
	if off < 0 || off > len(src) {
		return 0, 0
	}
	before := src[:off]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:]) + 1
	return line, col
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func sortedFields() []string {
	out := make([]string, 0, len(fieldNames))
	for f := range fieldNames {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// renderer executes templates for one goroutine at a time. It holds its
// own clones so that attr can read the user being rendered.
type renderer struct {
	cur  *Data
	html map[*Template]*htmltemplate.Template
	text map[*Template]*texttemplate.Template
	buf  bytes.Buffer
}

func newRenderer(ts []*Template) *renderer {
	r := &renderer{html: map[*Template]*htmltemplate.Template{}, text: map[*Template]*texttemplate.Template{}}
	attr := func(name string) string {
		if r.cur == nil {
			return ""
		}
		return r.cur.Attr(name)
	}
	for _, t := range ts {
		h, err := t.html.Clone()
		if err != nil {
			// Prototypes are never executed, so Clone cannot fail; a
			// failure here is a programming error worth a loud stop.
			panic(fmt.Sprintf("clone template %s: %v", t.Name, err))
		}
		r.html[t] = h.Funcs(htmltemplate.FuncMap{"attr": attr})
		tx, err := t.text.Clone()
		if err != nil {
			panic(fmt.Sprintf("clone text template %s: %v", t.Name, err))
		}
		r.text[t] = tx.Funcs(texttemplate.FuncMap{"attr": attr})
	}
	return r
}

// render executes t's HTML and text variants for d.
func (r *renderer) render(t *Template, d *Data) (html, text string, err error) {
	r.cur = d
	defer func() { r.cur = nil }()
	r.buf.Reset()
	if err := r.html[t].Execute(&r.buf, d); err != nil {
		return "", "", err
	}
	html = r.buf.String()
	r.buf.Reset()
	if err := r.text[t].Execute(&r.buf, d); err != nil {
		return "", "", err
	}
	return html, r.buf.String(), nil
}
