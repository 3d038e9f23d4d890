package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
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
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
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
