//go:build unix

package config

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNonRegularFilesAreRefused: a FIFO or a directory as config.toml,
// as the token state or as the private key file is refused at once
// instead of blocking every command on a read that never ends.
func TestNonRegularFilesAreRefused(t *testing.T) {
	home := isolate(t)
	t.Setenv("DIRDECK_HOME", home)
	fifo := filepath.Join(home, "config.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	keyFifo := filepath.Join(t.TempDir(), "key.pem")
	if err := syscall.Mkfifo(keyFifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		read func() error
	}{
		{"config.toml", func() error { _, err := Load(); return err }},
		{"fifo read directly", func() error { _, err := readRegular(keyFifo, maxKeyFileSize); return err }},
		{"directory", func() error { _, err := readRegular(t.TempDir(), maxConfigFileSize); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tt.read() }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Fatalf("error %v, want a refusal of a non-regular file", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("reading a FIFO blocked (a guard against hanging, not a synchronisation)")
			}
		})
	}
}
