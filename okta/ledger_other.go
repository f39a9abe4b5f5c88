//go:build !unix && !windows

package okta

import (
	"errors"
	"os"
)

// errNoFileLock is returned where the platform has no advisory file lock.
var errNoFileLock = errors.New("no file locking on this platform")

// lockFile reports that this platform cannot lock files: New refuses a
// rate ledger here (checkLedger) rather than count without a lock.
func lockFile(*os.File) error { return errNoFileLock }

func unlockFile(*os.File) error { return errNoFileLock }
