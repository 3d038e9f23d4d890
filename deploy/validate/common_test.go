package validate

import (
	"bufio"
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The files under test, from this folder.
const (
	repoRoot      = "../.."
	composeFile   = "../../docker-compose.yml"
	kubernetesDir = "../kubernetes"
	envExample    = "../caredesk.env.example"
	configYAML    = "../caredesk.yaml"
	readmeFile    = "../../README.md"
)

// caredeskSecrets are the variables whose values are secret: caredesk's
// tokens and the database password. They come from caredesk.env (compose)
// or the Secret "caredesk" (Kubernetes), never from the manifests.
var caredeskSecrets = []string{
	"TELEGRAM_BOT_TOKEN",
	"TELEGRAM_WEBHOOK_SECRET",
	"SLACK_BOT_TOKEN",
	"SLACK_SIGNING_SECRET",
	"SLACK_APP_TOKEN",
	"DISCORD_BOT_TOKEN",
	"CAREDESK_ICS_TOKEN",
	"CAREDESK_EXPORT_TOKEN",
	// The PostgreSQL driver's password, kept out of CAREDESK_DB, which
	// is written in the compose file and the manifests.
	"PGPASSWORD",
}

// otherVariables are read by something else than caredesk's settings, or
// are caredesk's but newer than the README's table; each may appear in
// the deployment files beside the README's settings.
var otherVariables = map[string]string{
	"PGPASSWORD":               "the PostgreSQL driver (pgx) reads it when CAREDESK_DB has no password",
	"POSTGRES_PASSWORD":        "the postgres image",
	"POSTGRES_USER":            "the postgres image",
	"POSTGRES_DB":              "the postgres image",
	"GOMEMLIMIT":               "Go's runtime",
	"CAREDESK_REPLICA":         "a replica's name (several replicas on PostgreSQL)",
	"CAREDESK_LEADER_TAKEOVER": "how soon another replica takes over the leader's connections",
}

// readmeSettings returns the variables of the README's settings table
// (the rows under "| Variable | Default | What it is |").
func readmeSettings(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatalf("read the README for its settings table: %v", err)
	}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	names := map[string]bool{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "| Variable |"):
			in = true
		case in && strings.HasPrefix(line, "|"):
			first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
			for _, m := range name.FindAllStringSubmatch(first, -1) {
				names[m[1]] = true
			}
		case in:
			in = false
		}
	}
	if len(names) < 20 {
		t.Fatalf("the README's settings table (a header \"| Variable | Default | What it is |\") gave %d variables; has it moved?", len(names))
	}
	return names
}

// checkKnownVariables fails for each name that is neither a setting in
// the README's table nor in otherVariables: a typo, or a setting that
// does not exist.
func checkKnownVariables(t *testing.T, where string, names []string) {
	t.Helper()
	known := readmeSettings(t)
	for _, n := range names {
		if !known[n] && otherVariables[n] == "" {
			t.Errorf("%s: %s is no setting in the README's table and is not among the other variables the deployment may set (typo, or a setting that does not exist?)", where, n)
		}
	}
}

var secretLooking = []*regexp.Regexp{
	regexp.MustCompile(`xox[abpr]-[A-Za-z0-9-]+`),                                       // Slack tokens
	regexp.MustCompile(`xapp-[A-Za-z0-9-]+`),                                            // Slack app-level token
	regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]{20,}$`),                                   // Telegram bot token
	regexp.MustCompile(`://[^/@:]*:[^/@]+@`),                                            // a URL with a password
	regexp.MustCompile(`^[A-Za-z0-9+/_=-]{32,}$`),                                       // a long random string
	regexp.MustCompile(`[MNO][A-Za-z0-9_-]{23,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}`), // Discord bot token
}

// looksSecret reports whether a literal value looks like a token or a
// password.
func looksSecret(v string) bool {
	for _, re := range secretLooking {
		if re.MatchString(v) {
			return true
		}
	}
	return false
}

// checkDatabaseURL checks a CAREDESK_DB value: PostgreSQL, and no password
// in it (the URL is written in files that are committed; the password goes
// in PGPASSWORD). It returns the parsed URL.
func checkDatabaseURL(t *testing.T, where, v string) *url.URL {
	t.Helper()
	if !strings.HasPrefix(v, "postgres://") {
		t.Errorf("%s: CAREDESK_DB is %q: replicas share one PostgreSQL database, so it must start with postgres://", where, v)
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		t.Errorf("%s: CAREDESK_DB %q is no URL: %v", where, v, err)
		return nil
	}
	if _, has := u.User.Password(); has {
		t.Errorf("%s: CAREDESK_DB carries a password, in a file that is committed; put the password in PGPASSWORD (a secret) instead", where)
	}
	if u.User.Username() == "" || u.Hostname() == "" || strings.Trim(u.Path, "/") == "" {
		t.Errorf("%s: CAREDESK_DB %q should name the user, the host and the database", where, u.Redacted())
	}
	return u
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func absPath(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
