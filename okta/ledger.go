package okta

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"
)

// Okta caps each API token and OAuth 2.0 app at a share of every bucket
// (50% unless an admin raised it: "each API token or OAuth 2.0 app can use
// up to 50% of a bucket's total rate limit",
// https://developer.okta.com/docs/reference/rl2-token-oauth), counted over
// all the processes that use the credential. One dirdeck process keeps its
// own count; two on one credential (a scheduled sync beside the TUI's,
// two profiles of one org) would each spend the whole share. The ledger is
// a small file, one per credential, that all of them count in under an
// exclusive file lock, so that together they stay within the share.
//
// Windows are Okta's one-minute windows on the org's clock (Date headers).
// A request whose send time lies within ledgerEdge of a window's end is
// counted in the next window as well: the org's clock is known to a second
// (Date), and the request may arrive after the minute turned.
const ledgerEdge = 2 * time.Second

// CredentialKey names a credential in ledger file names without
// revealing it: a truncated SHA-256 of the org and the API token or OAuth
// client id. A token's 40 random characters make the hash useless for
// finding the token.
func CredentialKey(orgURL string, creds Credentials) string {
	id := "ssws\x00" + creds.Token
	if creds.Token == "" {
		id = "oauth\x00" + creds.ClientID
	}
	sum := sha256.Sum256([]byte("dirdeck rate ledger\x00" + orgURL + "\x00" + id))
	return hex.EncodeToString(sum[:12])
}

// ledger is the shared count of one credential's requests per bucket and
// window.
type ledger struct {
	path string
	mu   sync.Mutex // one process's goroutines take turns before the file lock
}

// ledgerFile is the ledger's content: per bucket, the limit last seen and
// the requests counted in the current and next windows.
type ledgerFile map[string]*ledgerBucket

type ledgerBucket struct {
	Limit   int             `json:"limit"`
	Windows map[int64]int64 `json:"windows"` // window start (epoch seconds, org clock) → requests
}

// take counts one request to bucket at the org time now, unless the
// credential's requests in its window (those of every process) already
// reach share × limit; then it returns how long until that window ends.
// limit is the bucket's limit if this process knows it (0: the ledger's,
// learnt from another process; none known: a first probe, counted only).
func (l *ledger) take(bucket string, limit int, share float64, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("rate ledger: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return 0, fmt.Errorf("rate ledger: lock: %w", err)
	}
	defer unlockFile(f)

	data, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("rate ledger: %w", err)
	}
	state := ledgerFile{}
	if len(data) > 0 && json.Unmarshal(data, &state) != nil {
		state = ledgerFile{} // a torn or foreign file: start the count again
	}
	b := state[bucket]
	if b == nil {
		b = &ledgerBucket{Windows: map[int64]int64{}}
		state[bucket] = b
	}
	if limit > 0 {
		b.Limit = limit
	}
	start := now.Unix() / 60 * 60
	windows := []int64{start}
	if end := time.Unix(start+60, 0); end.Sub(now) <= ledgerEdge {
		windows = append(windows, start+60)
	}
	if b.Limit > 0 {
		capacity := int64(max(1, int(math.Floor(share*float64(b.Limit)))))
		for _, w := range windows {
			if b.Windows[w] >= capacity {
				return max(time.Unix(w+60, 0).Sub(now), time.Millisecond), nil
			}
		}
	}
	for w := range b.Windows {
		if w < start {
			delete(b.Windows, w)
		}
	}
	for _, w := range windows {
		b.Windows[w]++
	}
	out, err := json.Marshal(state)
	if err != nil {
		return 0, err
	}
	if err := f.Truncate(0); err != nil {
		return 0, fmt.Errorf("rate ledger: %w", err)
	}
	if _, err := f.WriteAt(out, 0); err != nil {
		return 0, fmt.Errorf("rate ledger: %w", err)
	}
	return 0, nil
}
