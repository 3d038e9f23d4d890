package chunk_test

import (
	"slices"
	"strings"
	"testing"

	"caredesk/adapters/chunk"
)

// tag keeps <…> whole, like a mention.
func tag(s string) int {
	if s[0] == '<' {
		if j := strings.IndexByte(s, '>'); j > 0 {
			return j + 1
		}
	}
	return 0
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit chunk.Limit
		want  []string
	}{
		{"fits", "hello", chunk.Limit{Max: 10}, []string{"hello"}},
		{"empty", "", chunk.Limit{Max: 10}, []string{""}},
		{"at a line break", "first line\nsecond line", chunk.Limit{Max: 15}, []string{"first line", "second line"}},
		{"at a space", "aaaa bbbb cccc", chunk.Limit{Max: 10}, []string{"aaaa bbbb", "cccc"}},
		{"no space: hard cut", "abcdefghij", chunk.Limit{Max: 4}, []string{"abcd", "efgh", "ij"}},
		{"runes, not bytes", "ççççç", chunk.Limit{Max: 2}, []string{"çç", "çç", "ç"}},
		{"UTF-16: an emoji counts twice", "😀😀😀", chunk.Limit{Max: 4, Width: chunk.UTF16}, []string{"😀😀", "😀"}},
		{"markup stays whole", "ab <@U123> cd", chunk.Limit{Max: 6, Atom: tag}, []string{"ab", "<@U123>", "cd"}},
		{"blank pieces dropped", "aaaa\n\n\n\nbbbb", chunk.Limit{Max: 5}, []string{"aaaa", "bbbb"}},
		{"a quote cut in two stays quoted", "> aaaa bbbb cccc", chunk.Limit{Max: 10, Quote: "> "}, []string{"> aaaa", "> bbbb", "> cccc"}},
		{"text after a quote is not quoted", "said:\n> aaaa\nok", chunk.Limit{Max: 9, Quote: "> "}, []string{"said:", "> aaaa", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chunk.Split(tt.text, tt.limit); !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.limit.Max, got, tt.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		text  string
		limit chunk.Limit
		want  string
	}{
		{"short", chunk.Limit{Max: 10}, "short"},
		{"a longer text", chunk.Limit{Max: 6}, "a lon…"},
		{"😀😀😀", chunk.Limit{Max: 5, Width: chunk.UTF16}, "😀😀…"},
		{"ab<@U123>", chunk.Limit{Max: 6, Atom: tag}, "ab…"},
	}
	for _, tt := range tests {
		if got := chunk.Clip(tt.text, tt.limit); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.text, tt.limit.Max, got, tt.want)
		}
	}
}

// FuzzSplit: no piece is over the limit unless it is one atom, and the
// pieces hold all of the text's non-blank characters, in order.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"hello world", "a\nb c", "<@U1> <@U2>", "😀 ç x"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 1 || limit > 50 {
			return
		}
		l := chunk.Limit{Max: limit, Width: chunk.UTF16}
		pieces := chunk.Split(s, l)
		for _, p := range pieces {
			if chunk.UTF16(p) > limit && chunk.UTF16(p) > 2 {
				t.Fatalf("piece %q is over %d", p, limit)
			}
		}
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got, want := strip(strings.Join(pieces, "")), strip(s); got != want {
			t.Fatalf("pieces %q lose text of %q", pieces, s)
		}
	})
}
