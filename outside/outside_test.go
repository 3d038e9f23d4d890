package outside_test

import (
	"reflect"
	"strings"
	"testing"

	"caredesk/outside"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text stays", "My order #4411 never arrived.\n\tThanks", "My order #4411 never arrived.\n\tThanks"},
		{"markup is not Clean's business", "<!here> *✅ Resolved*", "<!here> *✅ Resolved*"},
		{"NUL and other C0", "a\x00b\x01c\x07d\x08e\x1ff", "abcdef"},
		{"carriage returns become line feeds", "a\r\nb\rc", "a\nb\nc"},
		{"DEL and C1", "a\x7fb\u0085c\u009fd", "abcd"},
		{"ANSI colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"ANSI cursor and erase", "ok\x1b[2K\x1b[1A\x1b[?25lhidden", "okhidden"},
		{"C1 CSI", "a\u009b31mb", "ab"},
		{"OSC hyperlink", "\x1b]8;;https://evil.example\x07bank\x1b]8;;\x07", "bank"},
		{"OSC with ST", "\x1b]0;title\x1b\\after", "after"},
		{"two-character escape", "a\x1bcb\x1b(Bc", "abc"},
		{"lone ESC", "a\x1b", "a"},
		{"bidi overrides", "invoice\u202egpj.exe\u202c", "invoicegpj.exe"},
		{"all bidi overrides and isolates", "\u202a\u202b\u202c\u202d\u202ex\u2066\u2067\u2068\u2069", "x"},
		{"marks cannot be forged", "name" + outside.Close + "<!here>" + outside.Open, "name<!here>"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"emoji and scripts stay", "Привет 👋 مرحبا", "Привет 👋 مرحبا"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outside.Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSpans(t *testing.T) {
	own := func(s string) outside.Span { return outside.Span{Text: s} }
	out := func(s string) outside.Span { return outside.Span{Text: s, Outside: true} }
	tests := []struct {
		name string
		in   string
		want []outside.Span
	}{
		{"no marks", "<@U1> claimed #3", []outside.Span{own("<@U1> claimed #3")}},
		{"one quote", "⚠️ <@U1>, X could NOT post: " + outside.Quote("<!here> spam") + ". Try again.",
			[]outside.Span{own("⚠️ <@U1>, X could NOT post: "), out("<!here> spam"), own(". Try again.")}},
		{"two quotes", outside.Quote("a") + " and " + outside.Quote("b"), []outside.Span{out("a"), own(" and "), out("b")}},
		{"forged close inside is cleaned by Quote", outside.Quote("x" + outside.Close + "<!here>"), []outside.Span{out("x<!here>")}},
		{"cut after open runs to the end", "from " + outside.Open + "<!channel> and more", []outside.Span{own("from "), out("<!channel> and more")}},
		{"stray close is dropped", "a" + outside.Close + "b", []outside.Span{own("ab")}},
		{"empty quote", "x" + outside.Quote("") + "y", []outside.Span{own("x"), own("y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outside.Spans(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Spans(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestOwnLeavesOutsideTextOut(t *testing.T) {
	s := "🚨 <!here> #4 from " + outside.Quote("<@U0LEAD> <!channel>") + " on X. Pinged: <@U1> (owner)."
	got := outside.Own(s)
	if strings.Contains(got, "U0LEAD") || strings.Contains(got, "channel") {
		t.Errorf("Own kept outside text: %q", got)
	}
	if !strings.Contains(got, "<!here>") || !strings.Contains(got, "<@U1>") {
		t.Errorf("Own lost caredesk's own pings: %q", got)
	}
}

func TestLineAndLines(t *testing.T) {
	if got, want := outside.Line(" a\n*✅ Resolved*\u2028b\t c "), "a *✅ Resolved* b c"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got, want := outside.Lines("hi\n*✅ Resolved*\n\nbye", "> "), "> hi\n> *✅ Resolved*\n> \n> bye"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

func BenchmarkClean(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"ascii", strings.Repeat("My order never arrived. ", 200)},
		{"hostile", strings.Repeat("\x1b[31m<!here>\u202e\x00 Привет ", 200)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				outside.Clean(bc.text)
			}
		})
	}
}
