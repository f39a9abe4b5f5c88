package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSimServePrintsOrgURLAndTokenThenServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetArgs([]string{"sim", "serve", "--addr", "127.0.0.1:0", "--scenario", "S", "--seed", "7"})
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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestSimServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "serve", "--scenario", "XXL"},
		{"sim", "serve", "--rate-limits", "sometimes"},
		{"sim", "serve", "--seed", "x"},
	} {
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			if code := run(context.Background(), args); code != exitUsage {
				t.Fatalf("exit code %d, want %d", code, exitUsage)
			}
		})
	}
}
