package config

import (
	"fmt"
	"os"
	"path/filepath"
	gosync "sync"

	"github.com/adrg/xdg"
)

// appName names dirdeck's directories under the XDG base directories and
// the keyring service.
const appName = "dirdeck"

// Paths are the locations of dirdeck's files for the current environment.
type Paths struct {
	// ConfigFile is the profiles file, config.toml.
	ConfigFile string
	// DataDir holds caches, logs and the token-use state file.
	DataDir string
}

// xdgMu serialises xdg.Reload, which rewrites the xdg package's globals.
var xdgMu gosync.Mutex

// CurrentPaths computes dirdeck's paths from the environment as it is now.
func CurrentPaths() (Paths, error) {
	if home := os.Getenv("DIRDECK_HOME"); home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return Paths{}, fmt.Errorf("DIRDECK_HOME %q: %w", home, err)
		}
		return Paths{
			ConfigFile: filepath.Join(abs, "config.toml"),
			DataDir:    filepath.Join(abs, "data"),
		}, nil
	}
	xdgMu.Lock()
	defer xdgMu.Unlock()
	// xdg reads the environment once at init; reload so that a changed
	// XDG_CONFIG_HOME or XDG_DATA_HOME is seen.
	xdg.Reload()
	if xdg.ConfigHome == "" || xdg.DataHome == "" {
		return Paths{}, fmt.Errorf("cannot find the home directory: set DIRDECK_HOME or XDG_CONFIG_HOME and XDG_DATA_HOME")
	}
	return Paths{
		ConfigFile: filepath.Join(xdg.ConfigHome, appName, "config.toml"),
		DataDir:    filepath.Join(xdg.DataHome, appName),
	}, nil
}

// CachePath returns the cache file of profile in the current environment:
// <data>/<profile>.db.
func CachePath(profile string) (string, error) {
	if err := checkProfileFileName(profile); err != nil {
		return "", err
	}
	p, err := CurrentPaths()
	if err != nil {
		return "", err
	}
	return filepath.Join(p.DataDir, profile+".db"), nil
}

// EnsureDataDir creates the data directory (0700) if needed, tightens its
// mode if it is looser, and returns its path, so that callers can create
// cache and log files in it.
func EnsureDataDir() (string, error) {
	p, err := CurrentPaths()
	if err != nil {
		return "", err
	}
	if err := ensurePrivateDir(p.DataDir); err != nil {
		return "", err
	}
	return p.DataDir, nil
}

// checkProfileFileName accepts both file-profile names and the derived
// names of environment configurations, which are what file names are built
// from; anything else could escape the data directory.
func checkProfileFileName(name string) error {
	if !profileNameRE.MatchString(name) {
		return fmt.Errorf("invalid profile name %q: use lowercase letters, digits, '-' and '_' (at most 63, starting with a letter or digit)", name)
	}
	return nil
}

// ensurePrivateDir creates dir and its missing parents with mode 0700 and
// tightens dir itself to 0700 when it already exists with a looser mode.
// Parents that already exist (such as $XDG_CONFIG_HOME) are left alone:
// they are not dirdeck's.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict directory %s to 0700: %w", dir, err)
		}
	}
	return nil
}

// writePrivateFile replaces path with data atomically (write to a
// temporary file in the same directory, fsync, rename), so that a crash
// never leaves a half-written file, and the result is always 0600 whatever
// the old file's mode was.
func writePrivateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := ensurePrivateDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	cleanup := func() { _ = os.Remove(tmpName) }
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
