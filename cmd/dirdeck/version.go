package main

import (
	"runtime/debug"
)

// version can be set at build time with -ldflags "-X main.version=...";
// when it is not, dirdeckVersion takes it from the build info.
var version string

// dirdeckVersion is what --version prints and bundles record.
func dirdeckVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionFrom(version, info)
}

// versionFrom picks dirdeck's version: the one set with -ldflags, else the
// main module's version from the build info — a release tag for `go install
// …@v1.2.3`, or the pseudo-version Go derives from the git commit for `go
// build` in a checkout (v0.0.0-<date>-<revision>, "+dirty" with
// uncommitted changes) — else the bare VCS revision, else "dev" (a build
// without VCS stamping, such as CI's -buildvcs=false, or `go run`).
func versionFrom(ldflag string, info *debug.BuildInfo) string {
	if ldflag != "" {
		return ldflag
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "+dirty"
	}
	return "dev-" + rev
}
