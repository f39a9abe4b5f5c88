package signature

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func exportS(t *testing.T) (string, ExportStats, *Set) {
	t.Helper()
	set := salesSet(t)
	dir := t.TempDir()
	stats, err := Export(context.Background(), set, sharedDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, stats, set
}

func TestExport(t *testing.T) {
	dir, stats, set := exportS(t)
	cov := set.Coverage(sharedDir)
	if stats.Users != cov.Users {
		t.Fatalf("exported %d users, %d active", stats.Users, cov.Users)
	}
	for name, n := range cov.ByTemplate {
		if stats.ByTemplate[name] != n {
			t.Errorf("template %s: exported %d, coverage %d", name, stats.ByTemplate[name], n)
		}
	}
	// A second export after a user left removes their page.
	stale := filepath.Join(dir, UsersDir, "00ugone.html")
	if err := os.WriteFile(stale, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(context.Background(), set, sharedDir, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale page survived the export")
	}
	pages, err := filepath.Glob(filepath.Join(dir, UsersDir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != stats.Users {
		t.Fatalf("%d pages for %d users", len(pages), stats.Users)
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(index, []byte(`<section class="card`)); n != stats.Users {
		t.Errorf("index has %d cards, want %d", n, stats.Users)
	}
	for _, p := range append(pages, filepath.Join(dir, "index.html")) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSelfContained(t, dir, p, b)
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, fi.Mode().Perm())
		}
	}
	// Every card links to an existing page.
	for _, m := range regexp.MustCompile(`<a href="(users/[^"]+)"`).FindAllSubmatch(index, -1) {
		if _, err := os.Stat(filepath.Join(dir, string(m[1]))); err != nil {
			t.Errorf("index links to a missing page: %v", err)
		}
	}
}

// checkSelfContained fails on anything a browser would fetch from
// elsewhere, and on scripts other than the gallery's own search.
func checkSelfContained(t *testing.T, dir, path string, b []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(b))
	scripts := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data == "script" {
			scripts++
		}
		for _, a := range tok.Attr {
			if a.Key == "on" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: event handler %s", path, a.Key)
			}
			if a.Key != "href" && a.Key != "src" {
				continue
			}
			switch {
			case a.Val == "", a.Val == "data:", a.Val == "data:,",
				strings.HasPrefix(a.Val, "mailto:"), strings.HasPrefix(a.Val, "tel:"):
			case strings.Contains(a.Val, ":") || strings.HasPrefix(a.Val, "//"):
				t.Errorf("%s: external reference %s=%q", path, a.Key, a.Val)
			default:
				if _, err := os.Stat(filepath.Join(filepath.Dir(path), a.Val)); err != nil {
					t.Errorf("%s: broken link %q", path, a.Val)
				}
			}
		}
	}
	if want := 0; filepath.Base(path) == "index.html" {
		if scripts != 1 {
			t.Errorf("index has %d scripts, want its search only", scripts)
		}
	} else if scripts != want {
		t.Errorf("%s has %d scripts", path, scripts)
	}
}

// TestGalleryInChromium opens the exported gallery in headless Chromium:
// no console messages (errors, CSP or load failures), the search script
// runs (a ?q= query filters the cards and updates the count), and a
// screenshot is written for a person to look at. Debian: apt-get install
// chromium. DIRDECK_SCREENSHOT=path keeps the screenshot. CI (.ci/run)
// installs Chromium and sets DIRDECK_REQUIRE_CHROMIUM=1, so there a
// missing browser fails the test instead of skipping the check.
func TestGalleryInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" && os.Getenv("DIRDECK_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("DIRDECK_REQUIRE_CHROMIUM=1 but chromium is not installed (Debian: apt-get install chromium)")
	}
	if bin == "" {
		t.Skip("chromium is not installed (Debian: apt-get install chromium); skipping the real-browser check of the gallery")
	}
	dir, stats, _ := exportS(t)
	index := "file://" + filepath.ToSlash(filepath.Join(dir, "index.html"))
	run := func(args ...string) (stdout, stderr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
			"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
		cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		return out.String(), errb.String()
	}
	checkConsole := func(stderr string) {
		t.Helper()
		for _, line := range strings.Split(stderr, "\n") {
			if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "ERR_FILE_NOT_FOUND") {
				t.Errorf("browser console: %s", line)
			}
		}
	}

	shot := os.Getenv("DIRDECK_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "gallery.png")
	}
	_, stderr := run("--window-size=1400,1000", "--screenshot="+shot, index)
	checkConsole(stderr)
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s: %d bytes, %v", shot, len(png), err)
	}

	dom, stderr := run("--dump-dom", index+"?q=vertrieb")
	checkConsole(stderr)
	m := regexp.MustCompile(`<span id="count">(\d+) of (\d+) users</span>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the search script did not run: no filtered count in the DOM")
	}
	shown, total := atoi(m[1]), atoi(m[2])
	visible := strings.Count(dom, `<section class="card"`) + strings.Count(dom, `<section class="card missing"`)
	if total != stats.Users || shown == 0 || shown >= total || visible != shown {
		t.Errorf("search for vertrieb shows %d of %d (%d cards visible), exported %d", shown, total, visible, stats.Users)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
