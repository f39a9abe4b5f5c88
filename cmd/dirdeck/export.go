package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/export"
	"github.com/dirdeck/dirdeck/store"
)

func newExportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:       "export users|groups|apps|memberships|assignments",
		Short:     "Export cached directory data as CSV or JSON Lines",
		ValidArgs: export.Kinds,
		Long: `Export one collection from the local cache (no Okta requests, no token
needed), streaming row by row: constant memory even at a million users.

Directory values are untrusted. CSV cells that a spreadsheet would run as
a formula (starting with = or @, or with + or - and more than a number:
"+1 555 0100" stays as it is) are prefixed with '. Control characters
other than tab and newline, DEL, C1 and bidi controls are written as
visible escapes (\u001b) in CSV and as JSON escapes in JSON Lines, which
otherwise carry the cached objects as they are.`,
		Example: `  dirdeck export users > users.csv
  dirdeck export memberships --format jsonl --out memberships.jsonl
  dirdeck export assignments | grep ',group,'`,
		Args: oneOf("kind", export.Kinds),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != export.CSV && format != export.JSONL {
				return withCode(exitUsage, fmt.Errorf("invalid argument %q for --format: use csv or jsonl", format))
			}
			r, st, done, err := openProfileForReading(cmd)
			if err != nil {
				return err
			}
			defer done()
			w := cmd.OutOrStdout()
			var file *os.File
			if out != "" {
				// Write next to the target and rename, so a failed export
				// never leaves a half-written file under the real name.
				file, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
				if err != nil {
					return withCode(exitFailed, fmt.Errorf("create %s: %w", out, err))
				}
				defer os.Remove(file.Name())
				defer file.Close()
				w = file
			}
			var n int
			err = st.View(func(rd *store.Reader) error {
				if rd.Generation() == 0 {
					return fmt.Errorf("nothing synced yet for profile %q: run `dirdeck sync`", r.Name)
				}
				n, err = export.Write(w, rd, args[0], format)
				return err
			})
			if err != nil {
				return withCode(exitFailed, fmt.Errorf("export %s: %w", args[0], err))
			}
			if file != nil {
				if err := finishFile(file, out); err != nil {
					return withCode(exitFailed, err)
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d %s\n", n, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", export.CSV, "csv or jsonl")
	cmd.Flags().StringVar(&out, "out", "", "write to this file (0600) instead of stdout")
	return cmd
}

// finishFile syncs f, makes it private and moves it to path.
func finishFile(f *os.File, path string) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
