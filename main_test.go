package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"caredesk/config"
	"caredesk/store/sqlite"
)

// TestDemo runs `caredesk demo`, the README's first command, and checks it
// tells the whole story and exits 0.
func TestDemo(t *testing.T) {
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"demo"}, func(string) string { return "" }, &out, &errs)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{
		"Jane Doe (@jane_doe) writes",
		"#1 · Telegram",
		"<!channel> can anyone help?", // shown as text, not a ping
		"Claimed by @alice.",
		"caredesk tells only bob: Not sent to the customer",
		"Jane is told at once, with the real deadline: \"Thanks, Jane — we got it.",
		"Jane receives it, signed: \"Hi Jane, I'm sorry!",
		"— alice",
		"Customer's rating: ★★★★★ 5/5.",
		"bob receives a chart, first-answer-by-hour.png",
		"Resolved by @alice.",
		"Done: one complaint arrived",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// The transcript shows the desk as a person sees it in Slack: each
	// deadline once, and none of the markup Slack draws instead of showing.
	at := regexp.MustCompile(`\d\d:\d\d UTC`)
	for line := range strings.SplitSeq(out.String(), "\n") {
		if _, due, ok := strings.Cut(line, "answer due "); ok && len(at.FindAllString(due, -1)) != 1 {
			t.Errorf("a deadline is not shown exactly once: %q", line)
		}
	}
	for what, raw := range map[string]*regexp.Regexp{
		"Slack date":     regexp.MustCompile(`<!date`),
		"Slack mention":  regexp.MustCompile(`<[@#][A-Z0-9]+`),
		"bold marks":     regexp.MustCompile(`\*[^*\s]([^*\n]*[^*\s])?\*`),
		"emoji code":     regexp.MustCompile(`:[a-z][a-z0-9_+-]*:`),
		"quote mark":     regexp.MustCompile(`│ > `),
		"escaped markup": regexp.MustCompile(`&(lt|gt|amp);`),
	} {
		if m := raw.FindString(out.String()); m != "" {
			t.Errorf("the transcript shows a raw %s, %q:\n%s", what, m, out.String())
		}
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, 0, "caredesk demo", ""},
		{[]string{"-h"}, 0, "caredesk healthcheck", ""},
		{[]string{"--help"}, 0, "caredesk version", ""},
		{[]string{"version"}, 0, "caredesk ", ""},
		{[]string{"--version"}, 0, "caredesk ", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"frobnicate"}, 2, "", "caredesk healthcheck"},
		{nil, 2, "", "caredesk has nowhere to take complaints from: set TELEGRAM_BOT_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			code := run(context.Background(), tt.args, func(string) string { return "" }, &out, &errs)
			if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errs.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.code, out.String(), tt.inStdout, errs.String(), tt.inStderr)
			}
		})
	}
}

// TestVersion runs `caredesk version` and `--version`: one line, the shape
// README.md shows. A test binary carries no commit.
func TestVersion(t *testing.T) {
	shape := regexp.MustCompile(`^caredesk \S+ ([0-9a-f]{12}|unknown)( \(modified\))?( built \S+)? go\S+\n$`)
	for _, arg := range []string{"version", "--version"} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), []string{arg}, func(string) string { return "" }, &out, &errs); code != 0 || errs.Len() > 0 {
			t.Errorf("%s exited %d, stderr %q", arg, code, errs.String())
		}
		if !shape.MatchString(out.String()) || !strings.HasSuffix(out.String(), " "+runtime.Version()+"\n") {
			t.Errorf("%s printed %q, which is not one line like caredesk (devel) 7c9cdd1a2b3c built 2026-12-06T04:00:00Z go1.26.10", arg, out.String())
		}
	}
}

func TestVersionLine(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "7c9cdd1a2b3c4d5e6f708192a3b4c5d6e7f80912"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"a checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-06T04:00:00Z", "vcs.modified", "true")},
			"caredesk (devel) 7c9cdd1a2b3c (modified) built 2026-12-06T04:00:00Z go1.26.10"},
		{"a clean release", &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Version: "v1.4.0"},
			Settings: vcs("vcs.revision", rev, "vcs.time", "2026-12-06T04:00:00Z", "vcs.modified", "false")},
			"caredesk v1.4.0 7c9cdd1a2b3c built 2026-12-06T04:00:00Z go1.26.10"},
		{"no .git", &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Version: "(devel)"}},
			"caredesk (devel) unknown go1.26.10"},
		{"a test binary", &debug.BuildInfo{GoVersion: "go1.26.10"}, "caredesk (devel) unknown go1.26.10"},
		{"no build information", nil, "caredesk (devel) unknown " + runtime.Version()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildOf(tt.bi).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestBuildInfoMetric finds caredesk_build_info in /metrics.
func TestBuildInfoMetric(t *testing.T) {
	db, err := sqlite.Open(t.TempDir() + "/caredesk.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := newMetrics(db)
	b := thisBuild()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "caredesk_build_info" {
			continue
		}
		if f.GetType().String() != "GAUGE" || len(f.GetMetric()) != 1 {
			t.Fatalf("caredesk_build_info is %v", f)
		}
		got := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		want := map[string]string{"version": b.Version, "revision": b.Revision, "go_version": runtime.Version()}
		if fmt.Sprint(got) != fmt.Sprint(want) || f.GetMetric()[0].GetGauge().GetValue() != 1 {
			t.Errorf("caredesk_build_info%v %v, want %v 1", got, f.GetMetric()[0].GetGauge().GetValue(), want)
		}
		return
	}
	t.Error("no caredesk_build_info in /metrics")
}

// TestHelpListsEverySetting: the Docker image has no README, so `caredesk
// help` is where its users find the settings, each with its default.
func TestHelpListsEverySetting(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, &errs); code != 0 {
		t.Fatalf("help exited %d: %s", code, errs.String())
	}
	for _, cmd := range []string{"caredesk serve", "caredesk demo", "caredesk migrate", "caredesk version", "caredesk help", "caredesk healthcheck"} {
		if !strings.Contains(out.String(), "\n  "+cmd+" ") {
			t.Errorf("help does not list %q:\n%s", cmd, out.String())
		}
	}
	lines := strings.Split(out.String(), "\n")
	for _, s := range config.Settings {
		line := regexp.MustCompile(`^  ` + s.Name + `( \*)? +(\S+) +(.+)$`)
		found := false
		for _, l := range lines {
			m := line.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			found = true
			def := s.Default
			if def == "" {
				def = "-"
			}
			if m[2] != def || m[3] != s.Summary || (m[1] != "") != s.Secret {
				t.Errorf("help's line of %s is %q: want its default %q, its summary, and * when it is a secret (%v)", s.Name, l, def, s.Secret)
			}
		}
		if !found {
			t.Errorf("help does not list %s", s.Name)
		}
	}
	if !strings.Contains(out.String(), "NAME_FILE") {
		t.Error("help does not say secrets may come from files (NAME_FILE)")
	}
}

// TestHealthcheck runs `caredesk healthcheck` against a caredesk that is
// ready, one that is not, and none.
func TestHealthcheck(t *testing.T) {
	serve := func(code int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	ready := serve(200, "ready\ncaredesk: ok\nstore: ok\n")
	_, readyPort, _ := net.SplitHostPort(ready)
	tests := []struct {
		name     string
		addr     string
		code     int
		inStdout string
		inStderr string
	}{
		{"ready", ready, 0, "caredesk is ready: http://" + ready + "/readyz answered 200 OK.", ""},
		{"ready, on every address", ":" + readyPort, 0, "http://127.0.0.1:" + readyPort + "/readyz answered 200 OK", ""},
		{"ready, on 0.0.0.0", "0.0.0.0:" + readyPort, 0, "http://127.0.0.1:" + readyPort + "/readyz", ""},
		{"not ready", serve(503, "not ready\ncaredesk: ok\nstore: ok\nrole: leader (the only caredesk on its SQLite file)\ndesk: ok\n"+
			"telegram: Telegram refuses caredesk's token (401 Unauthorized): the bot token was revoked or is wrong.\n"), 1, "",
			"answered 503 Service Unavailable; telegram: Telegram refuses caredesk's token (401 Unauthorized): the bot token was revoked or is wrong.\n"},
		{"not ready, no reason", serve(500, ""), 1, "", "answered 500 Internal Server Error; it gave no reason.\n"},
		{"nothing listening", closed, 1, "", "caredesk healthcheck: no answer from http://" + closed + "/readyz ("},
		{"a port the system picks", "127.0.0.1:0", 1, "", "CAREDESK_ADDR is \"127.0.0.1:0\", a port the system picks"},
		{"a wrong address", "8080", 1, "", "CAREDESK_ADDR is \"8080\": put host:port there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			env := map[string]string{"CAREDESK_ADDR": tt.addr}
			code := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &out, &errs)
			if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errs.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.code, out.String(), tt.inStdout, errs.String(), tt.inStderr)
			}
			if n := strings.Count(out.String()+errs.String(), "\n"); n != 1 {
				t.Errorf("%d lines, want one sentence:\n%s%s", n, out.String(), errs.String())
			}
		})
	}
}

func TestReadyzURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/readyz",
		"[::]:8080":      "http://127.0.0.1:8080/readyz",
		"127.0.0.1:9000": "http://127.0.0.1:9000/readyz",
		"[::1]:8080":     "http://[::1]:8080/readyz",
		"localhost:8080": "http://localhost:8080/readyz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/readyz",
	} {
		if got, err := readyzURL(addr); got != want || err != nil {
			t.Errorf("CAREDESK_ADDR=%s: %q, %v; want %q", addr, got, err, want)
		}
	}
}

// TestDockerfileHealthcheck runs the image's HEALTHCHECK command as the
// image would, with nothing serving: a command caredesk knows, saying
// "not ready" (1), not "unknown command" (2).
func TestDockerfileHealthcheck(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^HEALTHCHECK CMD (\[.*\])$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("the Dockerfile has no HEALTHCHECK CMD [\"/caredesk\", …]")
	}
	var argv []string
	if err := json.Unmarshal(m[1], &argv); err != nil || len(argv) < 2 || argv[0] != "/caredesk" {
		t.Fatalf("HEALTHCHECK CMD %s: want /caredesk and its arguments", m[1])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errs bytes.Buffer
	env := map[string]string{"CAREDESK_ADDR": addr}
	if code := run(context.Background(), argv[1:], func(k string) string { return env[k] }, &out, &errs); code != 1 {
		t.Errorf("%v with nothing on %s exited %d, want 1\n%s%s", argv, addr, code, out.String(), errs.String())
	}
}

// TestRevisionFromLinker: a build without .git (the Docker image) says the
// commit it was given at link time; one with its VCS recorded says that.
func TestRevisionFromLinker(t *testing.T) {
	defer func(was string) { revision = was }(revision)
	revision = "0123456789abcdef"
	if got := buildOf(nil).Revision; got != revision {
		t.Errorf("without build information the revision is %q, want the linker's %q", got, revision)
	}
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "fedcba9876543210"}}}
	if got := buildOf(bi).Revision; got != "fedcba9876543210" {
		t.Errorf("with the VCS's revision recorded it is %q, want the VCS's", got)
	}
}
