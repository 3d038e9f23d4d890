package listen_test

import (
	"strings"
	"testing"

	"caredesk/listen"
)

func TestMatch(t *testing.T) {
	f := listen.Filter{Include: []string{"Acme", "acme bank"}, Exclude: []string{"iş ilanı", "hiring"}, Languages: []string{"tr", "en"}}
	m, err := f.Compile(`source "alerts"`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text, lang string
		want       bool
	}{
		{"ACME'nin faturası yine yanlış", "tr", true},
		{"Ákme? no: ÂCME broke my card", "en", true},
		{"pacme is another shop", "en", false},
		{"Acme iş ilanı: çağrı merkezi", "tr", false},
		{"ACME is HIRING agents", "", false},
		{"Acme nu răspunde", "ro", false},
		{"Acme nu răspunde", "", true},      // no language said: taken
		{"Acme nu răspunde", "en-GB", true}, // a region of a listed language
		{"nothing about the brand", "en", false},
	} {
		if got := m.Match(tc.text, tc.lang); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.text, tc.lang, got, tc.want)
		}
	}
	all, err := listen.Filter{}.Compile("x")
	if err != nil || !all.Match("anything at all", "xx") {
		t.Errorf("an empty filter refused a post (%v)", err)
	}
}

func TestCompileRefuses(t *testing.T) {
	_, err := listen.Filter{Include: []string{"!!"}, Languages: []string{"not a language"}}.Compile(`source "alerts"`)
	for _, want := range []string{`source "alerts": include "!!" has no letter or digit`, `source "alerts": lang "not a language" is not a language`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile: %v, want it to say %q", err, want)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain  words\n\n\n\nnext", "plain words\n\nnext"},
		{`<p>Hello <b>@acme</b>,</p><p>my card &amp; my   money!</p>`, "Hello @acme,\n\nmy card & my money!"},
		{`Line one<br>line two<script>alert(1)</script><style>p{}</style>`, "Line one\nline two"},
		{`&lt;script&gt;not markup&lt;/script&gt;`, "<script>not markup</script>"},
		{`<a href="https://x.example">link</a> <img src=x onerror=alert(1)>`, "link"},
		{"", ""},
	} {
		if got := listen.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
