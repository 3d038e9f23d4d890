package validate

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// envExampleNames reads deploy/caredesk.env.example, which docker compose
// reads as caredesk.env and kubectl create secret --from-env-file reads
// too. The two parse differently (kubectl keeps quotes and "# ..." after a
// value), so every line must be a comment, blank, or a bare NAME= with an
// empty value and a comment just above it.
func envExampleNames(t *testing.T) []string {
	t.Helper()
	data := readFile(t, envExample)
	assignment := regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=$`)
	var names []string
	prev := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch m := assignment.FindStringSubmatch(line); {
		case line == "" || strings.HasPrefix(line, "#"):
		case m == nil:
			t.Errorf("%s:%d: %q: write NAME= with no value, no quotes, no spaces, no comment after it (kubectl and compose read anything else differently)", envExample, n, line)
		case !strings.HasPrefix(prev, "#"):
			t.Errorf("%s:%d: %s has no comment just above it saying what it is", envExample, n, m[1])
			names = append(names, m[1])
		default:
			names = append(names, m[1])
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	// Compose's own parser must see the same names, each empty.
	parsed, err := dotenv.Read(envExample)
	if err != nil {
		t.Fatalf("docker compose cannot read %s as an env file: %v", envExample, err)
	}
	if got, want := sortedKeys(parsed), slices.Sorted(slices.Values(names)); !slices.Equal(got, want) {
		t.Errorf("compose reads the names %v from %s, the lines say %v", got, envExample, want)
	}
	for k, v := range parsed {
		if v != "" {
			t.Errorf("%s: %s has the value %q in the example; leave every value empty", envExample, k, v)
		}
	}
	return names
}

func TestEnvExample(t *testing.T) {
	names := envExampleNames(t)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s names %s twice", envExample, n)
		}
		seen[n] = true
	}
	// Every secret the replicas expect, and the one postgres expects.
	for _, want := range append(slices.Clone(caredeskSecrets), "POSTGRES_PASSWORD") {
		if !seen[want] {
			t.Errorf("%s does not name %s, a secret the deployment expects there", envExample, want)
		}
	}
	checkKnownVariables(t, envExample, names)
}

// TestEnvExampleAndSecretExampleAgree: the env file is also the way to
// create the Secret, so both examples name the same variables, but for
// POSTGRES_PASSWORD (compose's postgres service only) and CAREDESK_DB
// (compose sets it; on Kubernetes the Secret does).
func TestEnvExampleAndSecretExampleAgree(t *testing.T) {
	env := map[string]bool{}
	for _, n := range envExampleNames(t) {
		env[n] = true
	}
	secret := loadKubernetes(t).secret
	if secret == nil {
		t.Fatal("no Secret example in " + kubernetesDir)
	}
	for _, k := range sortedKeys(secret.StringData) {
		if !env[k] && k != "CAREDESK_DB" {
			t.Errorf("the Secret example has %s, which %s does not name", k, envExample)
		}
	}
	for _, k := range sortedKeys(env) {
		if _, ok := secret.StringData[k]; !ok && k != "POSTGRES_PASSWORD" {
			t.Errorf("%s names %s, which the Secret example does not have", envExample, k)
		}
	}
}

func TestLooksSecret(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"xoxb-1234-5678-abcdef", true},
		{"xapp-1-A0123-456-abc", true},
		{"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", true},
		{"postgres://caredesk:hunter2@db:5432/caredesk", true},
		{"0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"postgres://caredesk@db:5432/caredesk?sslmode=require", false},
		{"/etc/caredesk/caredesk.yaml", false},
		{"230MiB", false},
		{"C0123ABCD", false},
		{"", false},
	} {
		if got := looksSecret(tc.v); got != tc.want {
			t.Errorf("looksSecret(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
