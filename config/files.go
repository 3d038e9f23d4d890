package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"caredesk/bot"
)

// files reads how much caredesk keeps of files, and for how long:
//
//	files:
//	  max_file: 20MB
//	  max_total: 2GB
//	  retention: 30d
//	  link_ttl: 7d
func (p *parser) files(n *yaml.Node, path string) {
	f := &p.f.Files
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"max_file":  func(v *yaml.Node, path string) { f.MaxFile = p.size(v, path) },
		"max_total": func(v *yaml.Node, path string) { f.MaxTotal = p.size(v, path) },
		"retention": func(v *yaml.Node, path string) { f.Retention = p.duration(v, path) },
		"link_ttl":  func(v *yaml.Node, path string) { f.LinkTTL = p.duration(v, path) },
	})
	if f.MaxFile > 0 && f.MaxTotal > 0 && f.MaxFile > f.MaxTotal {
		p.fail(n, join(path, "max_total"), "max_total (%s) is smaller than max_file (%s): one file could never be kept; raise max_total", bot.Bytes(f.MaxTotal), bot.Bytes(f.MaxFile))
	}
}

var sizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB)?$`)

// size reads an amount of bytes like 512KB, 20MB or 2GB.
func (p *parser) size(v *yaml.Node, path string) int64 {
	if v.Kind != yaml.ScalarNode {
		p.fail(v, path, "%q is not a size: write it like 512KB, 20MB or 2GB", v.Value)
		return 0
	}
	n, err := ParseSize(v.Value)
	if err != nil {
		p.fail(v, path, "%s", err)
	}
	return n
}

// ParseSize reads an amount of bytes like 512KB, 20MB or 2GB; a KB is
// 1024 bytes, as Telegram and Discord count their limits. Its errors are
// sentences that quote s.
func ParseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size: write it like 512KB, 20MB or 2GB", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	unit := map[string]float64{"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[m[2]]
	if err != nil || n*unit < 1 || n*unit > 1<<50 {
		return 0, fmt.Errorf("%q is not a size caredesk can keep: write one from 1 byte to a few TB, like 20MB", s)
	}
	return int64(n * unit), nil
}

// Postgres reports whether CAREDESK_DB names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func Postgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Redacted is CAREDESK_DB as it may be logged: a PostgreSQL URL's
// password is replaced by xxxxx.
func Redacted(db string) string {
	if !Postgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	return u.Redacted()
}

// DBPassword is the password in a PostgreSQL CAREDESK_DB, "" for none,
// for the logger to scrub wherever it appears.
func DBPassword(db string) string {
	if !Postgres(db) {
		return ""
	}
	u, err := url.Parse(db)
	if err != nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// FilesDir is where the files of the database at db are kept when
// CAREDESK_FILES_DIR does not say: a folder next to it, named after it
// ("caredesk.db" → "caredesk-files"); none for PostgreSQL, which keeps
// them in the database.
func FilesDir(db string) string {
	if Postgres(db) {
		return ""
	}
	base := db
	if i := strings.LastIndex(base, "."); i > strings.LastIndex(base, "/") {
		base = base[:i]
	}
	return fmt.Sprintf("%s-files", base)
}
