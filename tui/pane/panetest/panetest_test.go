package panetest

import (
	"fmt"
	"testing"
)

// recorder notes the failures CheckFrame reports instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckFrame(t *testing.T) {
	tests := []struct {
		name  string
		view  string
		full  bool
		fails int
	}{
		{"fits", "abcd\nab\n\x1b[1mabcd\x1b[0m", true, 0},
		{"shorter, not full", "ab", false, 0},
		{"shorter, full", "ab", true, 1},
		{"too tall", "a\nb\nc\nd", false, 1},
		{"too wide, colours not counted", "abcde\n\x1b[31mabcd\x1b[0m\n界界界", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			CheckFrame(r, tt.view, 4, 3, tt.full)
			if len(r.errs) != tt.fails {
				t.Errorf("%d failures %q, want %d", len(r.errs), r.errs, tt.fails)
			}
		})
	}
}
