// Package msgs defines the messages the outside world sends into the TUI:
// a new cache generation committed, and sync progress and state. They live
// in their own package so that the sync wiring (demo mode, the scheduler)
// can send them without importing the TUI's panes.
package msgs

import "time"

// GenerationCommittedMsg says a sync committed a new cache generation:
// every pane reloads from the store, keeping its cursor and filter.
type GenerationCommittedMsg struct {
	Generation uint64
	RunID      uint64
	At         time.Time
}

// SyncState is the sync engine's state as the header shows it.
type SyncState int

// Sync states.
const (
	SyncIdle SyncState = iota
	SyncRunning
	SyncFailed
)

// String names the state for the header and logs.
func (s SyncState) String() string {
	switch s {
	case SyncRunning:
		return "running"
	case SyncFailed:
		return "failed"
	}
	return "idle"
}

// SyncStateMsg reports that the sync engine started, finished or failed.
// Err holds the failure's text (already free of tokens) when State is
// SyncFailed.
type SyncStateMsg struct {
	State SyncState
	Err   string
	At    time.Time
}

// SyncProgressMsg reports progress on one resource of a running sync.
// Counters are totals so far for this run, not increments.
type SyncProgressMsg struct {
	Resource       string // users, groups, memberships, apps, app_users, app_groups, logs
	Pages          int
	Items          int
	ThrottledWaits int
	Done           bool // this resource is complete
}
