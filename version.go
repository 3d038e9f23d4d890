package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// build is what the go command recorded of how this caredesk was built,
// to tell which code runs: `caredesk version` and caredesk_build_info.
type build struct {
	Version   string // the module's version, "(devel)" for a build from a checkout
	Revision  string // the commit, "unknown" when built without its VCS (.git)
	Modified  bool   // built with uncommitted changes
	Time      string // the commit's time, RFC 3339; "" when not recorded
	GoVersion string
}

// revision is the commit, given at link time where the build has no .git
// to read it from: the Docker image (-ldflags "-X main.revision=…", from
// the CAREDESK_REVISION build argument). The VCS's, when recorded, wins.
var revision string

// buildOf reads bi, nil when the binary carries no build information.
func buildOf(bi *debug.BuildInfo) build {
	b := build{Version: "(devel)", Revision: "unknown", GoVersion: runtime.Version()}
	if revision != "" {
		b.Revision = revision
	}
	if bi == nil {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "vcs.time":
			b.Time = s.Value
		}
	}
	return b
}

// thisBuild is the build of the running binary.
func thisBuild() build {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return buildOf(bi)
}

// String is the line `caredesk version` prints:
// caredesk (devel) 7c9cdd1a2b3c (modified) built 2026-12-06T04:00:00Z go1.26.10
func (b build) String() string {
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	words := []string{"caredesk", b.Version, rev}
	if b.Modified {
		words = append(words, "(modified)")
	}
	if b.Time != "" {
		words = append(words, "built", b.Time)
	}
	return strings.Join(append(words, b.GoVersion), " ")
}
