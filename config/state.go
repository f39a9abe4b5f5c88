package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	gosync "sync"
	"time"
)

// stateFileName is the token-use state file in the data directory. It
// holds times only, never a token.
const stateFileName = "state.json"

// stateFile is state.json's layout.
type stateFile struct {
	Tokens map[string]tokenUse `json:"tokens"`
}

type tokenUse struct {
	Added    time.Time `json:"added"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

// stateMu serialises read-modify-write of state.json within a process.
// Across processes the last writer wins, which at worst loses one
// last-used time that the next use records again.
var stateMu gosync.Mutex

// RecordTokenUse notes that profile's token was used at when. The first
// use seen also becomes the token's "added" time if set-token did not
// record one (a token from DIRDECK_API_TOKEN, for example). Earlier times
// than the one recorded are ignored.
func RecordTokenUse(profile string, when time.Time) error {
	return updateState(profile, func(u tokenUse, ok bool) (tokenUse, bool) {
		if !ok || u.Added.IsZero() {
			u.Added = when
		}
		if when.After(u.LastUsed) {
			u.LastUsed = when
		}
		return u, true
	})
}

// TokenUse returns when profile's token was added (stored with set-token,
// or first seen in use) and last used; zero times when unknown.
func TokenUse(profile string) (added, lastUsed time.Time, err error) {
	if err := checkProfileFileName(profile); err != nil {
		return time.Time{}, time.Time{}, err
	}
	stateMu.Lock()
	defer stateMu.Unlock()
	st, _, err := readState()
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	u := st.Tokens[profile]
	return u.Added, u.LastUsed, nil
}

// resetTokenUse starts a new token's record: added now, never used.
func resetTokenUse(profile string, added time.Time) error {
	return updateState(profile, func(tokenUse, bool) (tokenUse, bool) {
		return tokenUse{Added: added}, true
	})
}

// ForgetTokenUse drops profile's token-use record, for a removed profile
// whose token may not have been in the keyring (DIRDECK_API_TOKEN).
func ForgetTokenUse(profile string) error {
	return updateState(profile, func(tokenUse, bool) (tokenUse, bool) {
		return tokenUse{}, false
	})
}

// updateState applies f to profile's record; f returns the new record and
// whether to keep it.
func updateState(profile string, f func(u tokenUse, ok bool) (tokenUse, bool)) error {
	if err := checkProfileFileName(profile); err != nil {
		return err
	}
	stateMu.Lock()
	defer stateMu.Unlock()
	st, path, err := readState()
	if err != nil {
		return err
	}
	old, ok := st.Tokens[profile]
	u, keep := f(old, ok)
	if keep {
		st.Tokens[profile] = u
	} else {
		if !ok {
			return nil
		}
		delete(st.Tokens, profile)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode token state: %w", err)
	}
	return writePrivateFile(path, append(data, '\n'))
}

func readState() (stateFile, string, error) {
	st := stateFile{Tokens: map[string]tokenUse{}}
	p, err := CurrentPaths()
	if err != nil {
		return st, "", err
	}
	path := filepath.Join(p.DataDir, stateFileName)
	data, err := readRegular(path, maxConfigFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return st, path, nil
	}
	if err != nil {
		return st, path, fmt.Errorf("read token state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, path, fmt.Errorf("read token state %s: %w", path, err)
	}
	if st.Tokens == nil {
		st.Tokens = map[string]tokenUse{}
	}
	return st, path, nil
}
