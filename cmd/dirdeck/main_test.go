package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"charm.land/fang/v2"
)

// TestPrintErrorVerbatim: the error handler keeps names as they are
// written, prints one line without a box when stderr is not a terminal,
// and lets no control character from the message through.
func TestPrintErrorVerbatim(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"env var", errors.New("DIRDECK_API_TOKEN is not set"), "Error: DIRDECK_API_TOKEN is not set\n"},
		{"path", errors.New("/tmp/x/config.toml: not a regular file"), "Error: /tmp/x/config.toml: not a regular file\n"},
		{"flag", errors.New("--runs must be at least 1"), "Error: --runs must be at least 1\n"},
		{"usage", errors.New(`unknown flag: --nope`), "Error: unknown flag: --nope\nTry --help for usage.\n"},
		{"bell and osc from data", fmt.Errorf("no user %q", "eve\x07\x1b]0;pwned\x07"), "Error: no user \"eve\\a\\x1b]0;pwned\\a\"\n"},
		{"raw controls", errors.New("bad \x07 value \x1b]52;c;Zm9v\x07"), "Error: bad ␇ value ␛]52;c;Zm9v␇\n"},
		{"exit code only", withCode(exitWarnings, nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			printError(&buf, fang.Styles{}, tt.err)
			if buf.String() != tt.want {
				t.Errorf("printError = %q, want %q", buf.String(), tt.want)
			}
		})
	}
}
