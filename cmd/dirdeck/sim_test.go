package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
)

func TestSimServePrintsOrgURLAndTokenThenServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCmd()
	envFile := filepath.Join(t.TempDir(), "sim.env")
	root.SetArgs([]string{"sim", "serve", "--addr", "127.0.0.1:0", "--scenario", "S", "--seed", "7", "--env-file", envFile})
	root.SetOut(pw)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()

	lines := bufio.NewScanner(pr)
	var got []string
	for len(got) < 2 && lines.Scan() {
		got = append(got, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(got) != 2 || !strings.HasPrefix(got[0], "ORG_URL=http://127.0.0.1:") || !strings.HasPrefix(got[1], "API_TOKEN=00") {
		t.Fatalf("first stdout lines = %q", got)
	}
	orgURL := strings.TrimPrefix(got[0], "ORG_URL=")
	if strings.HasSuffix(orgURL, ":0") {
		t.Fatalf("printed the requested port, not the real one: %s", orgURL)
	}
	req, _ := http.NewRequest(http.MethodGet, orgURL+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "SSWS "+strings.TrimPrefix(got[1], "API_TOKEN="))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/users/me with the printed token: %d", resp.StatusCode)
	}

	// The env file is complete before stdout says anything, private, and
	// sourcing it configures dirdeck for this org.
	env, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "export DIRDECK_ORG_URL=" + orgURL + "\nexport DIRDECK_API_TOKEN=" + strings.TrimPrefix(got[1], "API_TOKEN=") + "\n"; string(env) != want {
		t.Fatalf("env file = %q, want %q", env, want)
	}
	if fi, _ := os.Stat(envFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("env file mode %v, want 0600", fi.Mode().Perm())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if _, err := os.Stat(envFile); !os.IsNotExist(err) {
		t.Fatalf("env file left behind after the sim stopped: %v", err)
	}
}

func TestSimServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "serve", "--scenario", "XXL"},
		{"sim", "serve", "--rate-limits", "sometimes"},
		{"sim", "serve", "--seed", "x"},
		{"sim", "serve", "--log-noise", "-1"},
		{"sim", "serve", "--log-lag", "-1s"},
		{"sim", "serve", "--search-lag", "soon"},
	} {
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			if code := run(context.Background(), args); code != exitUsage {
				t.Fatalf("exit code %d, want %d", code, exitUsage)
			}
		})
	}
}

// TestSimServeLogAndSearchFlags: on the command line 0 turns the log
// noise and the search lag off, and the defaults are the simulator's.
func TestSimServeLogAndSearchFlags(t *testing.T) {
	tests := []struct {
		o         simServeOptions
		noise     int
		searchLag time.Duration
	}{
		{simServeOptions{logNoise: oktasim.DefaultLogNoise, searchLag: oktasim.DefaultSearchLag}, oktasim.DefaultLogNoise, oktasim.DefaultSearchLag},
		{simServeOptions{logNoise: 0, searchLag: 0}, -1, -1},
		{simServeOptions{logNoise: 5, logLag: time.Second, searchLag: time.Minute}, 5, time.Minute},
	}
	for _, tt := range tests {
		opts, err := tt.o.simOptions()
		if err != nil || opts.LogNoise != tt.noise || opts.SearchLag != tt.searchLag || opts.LogLag != tt.o.logLag {
			t.Errorf("%+v → %+v, %v; want noise %d, search lag %s", tt.o, opts, err, tt.noise, tt.searchLag)
		}
		sim, err := oktasim.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := sim.LogNoiseEvents(24*time.Hour) > 0; got != (tt.noise > 0) {
			t.Errorf("%+v: noise on = %v", tt.o, got)
		}
	}
}
