package signature

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
)

// ExportStats summarises an export.
type ExportStats struct {
	Users      int            `json:"users"`
	ByTemplate map[string]int `json:"by_template"`
	Dir        string         `json:"dir"`
}

// UsersDir is the export's sub-directory of per-user pages.
const UsersDir = "users"

// Export writes one HTML page per active user (users/<id>.html) and an
// index.html gallery of every signature with a search box, all static,
// self-contained files (no external assets, so a reviewer can open them
// offline). dir is created if needed; files are 0600, like the cache they
// come from.
func Export(ctx context.Context, s *Set, d *Directory, dir string) (ExportStats, error) {
	stats := ExportStats{ByTemplate: map[string]int{}, Dir: dir}
	if err := os.MkdirAll(filepath.Join(dir, UsersDir), 0o700); err != nil {
		return stats, fmt.Errorf("create export directory: %w", err)
	}
	var active []int
	for i, u := range d.Users {
		if Active(u) {
			active = append(active, i)
		}
	}
	cards := make([]card, len(active))
	workers := min(runtime.GOMAXPROCS(0), max(len(active)/64, 1))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       gosync.WaitGroup
		errMu    gosync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	for w := range workers {
		wg.Go(func() {
			r := s.NewRenderer(d)
			for k := w; k < len(active); k += workers {
				if ctx.Err() != nil {
					return
				}
				u := d.Users[active[k]]
				res, err := r.Render(u)
				if err != nil {
					fail(err)
					return
				}
				file := UsersDir + "/" + fileName(u.ID) + ".html"
				if err := writePage(filepath.Join(dir, file), res); err != nil {
					fail(err)
					return
				}
				cards[k] = newCard(res, file)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return stats, firstErr
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("export signatures: %w", err)
	}
	if err := removeStale(filepath.Join(dir, UsersDir), cards); err != nil {
		return stats, err
	}
	for _, c := range cards {
		stats.ByTemplate[c.Template]++
	}
	stats.Users = len(cards)
	if err := writeIndex(filepath.Join(dir, "index.html"), cards, stats); err != nil {
		return stats, err
	}
	return stats, nil
}

// removeStale deletes pages a previous export wrote for users who are no
// longer active, so the directory matches the gallery. Only .html files in
// the export's own users/ directory are touched.
func removeStale(usersDir string, cards []card) error {
	keep := make(map[string]bool, len(cards))
	for _, c := range cards {
		keep[filepath.Base(c.File)] = true
	}
	entries, err := os.ReadDir(usersDir)
	if err != nil {
		return fmt.Errorf("list %s: %w", usersDir, err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".html") && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(usersDir, e.Name())); err != nil {
				return fmt.Errorf("remove a stale page: %w", err)
			}
		}
	}
	return nil
}

// fileName keeps an id safe as a file name. Okta ids are alphanumeric;
// anything else is replaced so that a strange id cannot leave the
// directory.
func fileName(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// card is one gallery entry.
type card struct {
	Name, Login, Department, Title, Template, Rule, File string
	Missing                                              string
	Search                                               string
	HTML                                                 htmltemplate.HTML
}

func newCard(res Result, file string) card {
	d := NewData(res.User, nil)
	rule := res.Rule
	if rule == "" {
		rule = "default"
	}
	c := card{
		Name: d.DisplayName, Login: d.Login, Department: d.Department, Title: d.Title,
		Template: res.Template, Rule: rule, File: file,
		Missing: strings.Join(res.Missing, ", "),
		// The signature was produced by html/template from escaped
		// values, so embedding it as HTML is what the reviewer must see.
		HTML: htmltemplate.HTML(res.HTML),
	}
	words := []string{c.Name, c.Login, c.Department, c.Title, c.Template, rule}
	if c.Missing != "" {
		// "missing" finds every incomplete signature, "missing title" those
		// lacking a title.
		words = append(words, "missing", c.Missing)
	}
	c.Search = strings.ToLower(strings.Join(words, " "))
	return c
}

var pageTmpl = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Name}} — signature</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}.meta{color:#666;font-size:13px;margin-bottom:1rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:1rem;border-radius:6px}.sig{overflow-wrap:anywhere}</style>
</head><body>
<p class="meta"><a href="../index.html">← all signatures</a> · {{.Login}} · template {{.Template}} · rule {{.Rule}}{{if .Missing}} · <strong>missing: {{.Missing}}</strong>{{end}}</p>
<div class="sig">{{.HTML}}</div>
<h2 style="font-size:14px;color:#666">Plain text</h2>
<pre>{{.Text}}</pre>
</body></html>
`))

func writePage(path string, res Result) error {
	c := newCard(res, "")
	return writeFile(path, func(w *bufio.Writer) error {
		return pageTmpl.Execute(w, struct {
			card
			Text string
		}{c, res.Text})
	})
}

var indexTmpl = htmltemplate.Must(htmltemplate.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Email signatures — {{.Stats.Users}} users</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f3f4f6}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:12px 20px;z-index:1}
h1{font-size:18px;margin:0 0 8px}
#q{width:100%;max-width:480px;padding:8px;font-size:15px;border:1px solid #bbb;border-radius:6px}
#count{color:#666;font-size:13px;margin-left:8px}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px;padding:16px 20px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px;overflow:hidden;overflow-wrap:anywhere}
.card.missing{border-color:#d97706}
.meta{font-size:12px;color:#666;margin-bottom:8px}
.meta strong{color:#b45309}
.hidden{display:none}
</style>
</head><body>
<header><h1>Email signatures</h1>
<input id="q" type="search" placeholder="Search name, login, department, title, template, or missing…" autofocus>
<span id="count">{{.Stats.Users}} users</span></header>
<main id="cards">
{{range .Cards}}<section class="card{{if .Missing}} missing{{end}}" data-q="{{.Search}}">
<div class="meta"><a href="{{.File}}">{{.Login}}</a> · {{or .Department "no department"}} · template <b>{{.Template}}</b> · rule {{.Rule}}{{if .Missing}} · <strong>missing {{.Missing}}</strong>{{end}}</div>
<div class="sig">{{.HTML}}</div>
</section>
{{end}}</main>
<script>
(function () {
  var q = document.getElementById("q");
  var count = document.getElementById("count");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  function filter() {
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (c) {
      var hay = c.getAttribute("data-q");
      var ok = terms.every(function (t) { return hay.indexOf(t) >= 0; });
      c.classList.toggle("hidden", !ok);
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + cards.length + " users";
  }
  q.addEventListener("input", filter);
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { q.value = initial; filter(); }
})();
</script>
</body></html>
`))

func writeIndex(path string, cards []card, stats ExportStats) error {
	return writeFile(path, func(w *bufio.Writer) error {
		return indexTmpl.Execute(w, struct {
			Cards []card
			Stats ExportStats
		}{cards, stats})
	})
}

// writeFile writes through a temporary file and renames it, so a failed
// export never leaves a half-written page under the real name.
func writeFile(path string, fill func(*bufio.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	if err := fill(w); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
