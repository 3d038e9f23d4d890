package route_test

import (
	"strings"
	"testing"

	"caredesk/route"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"FATURAMI", "faturami"},
		{"faturamı", "faturami"},
		{"İADE", "iade"},
		{"Çift   çekim!!", "cift cekim"},
		{"Rambursarea banilor", "rambursarea banilor"},
		{"Țară, ședință", "tara sedinta"},
		{"ZWROT PIENIĘDZY", "zwrot pieniedzy"},
		{"Paczka się zgubiła", "paczka sie zgubila"},
		{"Рекламацията", "рекламацията"},
		{"  ...  ", ""},
		{"#5521 — never arrived", "5521 never arrived"},
	}
	for _, tt := range tests {
		if got := route.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The rules of the example, and a Polish and a Bulgarian team.
func brand(t *testing.T) *route.Router {
	t.Helper()
	r, err := route.New([]route.Rule{
		{Team: "ro-care", Language: "ro"},
		{Team: "tr-care", Source: "webhook:sikayet"},
		{Team: "billing", Keywords: []string{"fatura", "refund", "çift çekim", "rambursare", "zwrot pieniędzy", "рекламация"}},
		{Team: "pl-care", Source: "telegram", Language: "pl"},
	}, "tr-care")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoute(t *testing.T) {
	r := brand(t)
	tests := []struct {
		name string
		c    route.Complaint
		team string
		why  string
	}{
		{"a Romanian customer", route.Complaint{Source: "telegram", Language: "ro", Text: "Unde este coletul meu?"}, "ro-care", "by language ro, rule 1"},
		{"a region in the tag", route.Complaint{Source: "telegram", Language: "ro-RO", Text: "Unde este coletul?"}, "ro-care", "by language ro, rule 1"},
		{"the first match wins", route.Complaint{Source: "webhook:sikayet", Language: "ro", Text: "fatura dublă"}, "ro-care", "by language ro, rule 1"},
		{"a complaint site", route.Complaint{Source: "webhook:sikayet", Language: "tr", Text: "Kargom gelmedi"}, "tr-care", "by source webhook:sikayet, rule 2"},
		{"a keyword with a suffix, in capitals", route.Complaint{Source: "telegram", Language: "tr", Text: "FATURAMI göremiyorum"}, "billing", `by keyword "fatura", rule 3`},
		{"a keyword with a dotless i", route.Complaint{Source: "telegram", Text: "faturayı kim kesti"}, "billing", `by keyword "fatura", rule 3`},
		{"a phrase without accents", route.Complaint{Source: "telegram", Text: "Kartımdan cift  cekim yapıldı!"}, "billing", `by keyword "çift çekim", rule 3`},
		{"a Polish phrase without its ę", route.Complaint{Source: "telegram", Text: "Kiedy ZWROT PIENIEDZY?"}, "billing", `by keyword "zwrot pieniędzy", rule 3`},
		{"a Bulgarian word with its ending", route.Complaint{Source: "telegram", Text: "Рекламацията ми не е приета"}, "billing", `by keyword "рекламация", rule 3`},
		{"not inside another word", route.Complaint{Source: "telegram", Language: "en", Text: "the prefund form"}, "tr-care", "the default team: no rule matched"},
		{"both conditions of a rule", route.Complaint{Source: "telegram", Language: "pl", Text: "Gdzie jest paczka?"}, "pl-care", "by language pl, rule 4"},
		{"one of two conditions is not enough", route.Complaint{Source: "webhook:forum", Language: "pl", Text: "Gdzie jest paczka?"}, "tr-care", "the default team: no rule matched"},
		{"no language known", route.Complaint{Source: "telegram", Text: "Where is my parcel?"}, "tr-care", "the default team: no rule matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Route(tt.c)
			if got.Team != tt.team || got.Why != tt.why {
				t.Errorf("Route(%+v) = %+v, want %s because %s", tt.c, got, tt.team, tt.why)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	_, err := route.New([]route.Rule{
		{Language: "ro"},
		{Team: "x", Language: "romanian!"},
		{Team: "y", Keywords: []string{"ok", " ?! "}},
	}, "x")
	if err == nil {
		t.Fatal("New took rules without a team, with a wrong language and an empty keyword")
	}
	for _, want := range []string{"rule 1 names no team", `rule 2: "romanian!" is not a language`, `rule 3: the keyword " ?! " has no letter or digit`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	r, err := route.New([]route.Rule{
		{Team: "ro-care", Language: "ro"},
		{Team: "billing", Keywords: []string{"fatura", "refund", "çift çekim", "rambursare", "zwrot pieniędzy", "рекламация", "iade", "ücret", "abonelik", "kampanya"}},
	}, "tr-care")
	if err != nil {
		b.Fatal(err)
	}
	c := route.Complaint{Source: "telegram", Language: "tr", Text: strings.Repeat("Siparişim 3 gündür kargoya verilmedi, müşteri hizmetlerine ulaşamıyorum. ", 4)}
	b.ReportAllocs()
	for b.Loop() {
		r.Route(c)
	}
}
