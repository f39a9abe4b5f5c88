package store

// SchemaVersion is the cache schema version this build writes; support
// bundles report it so that a replay knows which dirdeck made the cache.
func SchemaVersion() uint64 { return schemaVersion() }
