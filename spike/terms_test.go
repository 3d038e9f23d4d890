package spike_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/spike"
)

// usualDay is 200 ordinary complaints, most about deliveries, in the
// desk's four languages and some English: the same few templates with
// order numbers and days, as a real week repeats itself. A few mention an
// invoice, and "iki gün" (two days) makes "iki" common.
func usualDay(t testing.TB) []spike.Doc {
	t.Helper()
	templates := []spike.Doc{
		{"tr", "Kargom %d gündür gelmedi, sipariş %d nerede?"},
		{"tr", "Siparişim hâlâ kargoya verilmedi, ne zaman gelecek? (%d/%d)"},
		{"tr", "Paket yanlış adrese teslim edilmiş ve kurye aramadı bile. Sipariş %d, %d. gün"},
		{"tr", "Teslimat iki gün gecikti, kimse bilgi vermedi. Sipariş %d %d"},
		{"tr", "Ürün kırık geldi, değişim istiyorum. Sipariş %d, kutu %d"},
		{"tr", "Faturamı bulamıyorum, sipariş %d için %d gündür bekliyorum"},
		{"ro", "Coletul meu nu a ajuns nici azi, comanda %d, ziua %d"},
		{"ro", "Curierul nu m-a sunat și coletul a fost returnat (%d, %d)"},
		{"ro", "Livrarea întârzie de două zile, comanda %d din %d"},
		{"ro", "Produsul a venit deteriorat, vreau înlocuire pentru comanda %d/%d"},
		{"pl", "Paczka się spóźnia już %d dni, zamówienie %d"},
		{"pl", "Kurier nie przyszedł, a status mówi doręczono. Zamówienie %d/%d"},
		{"pl", "Przesyłka uszkodzona, proszę o wymianę, zamówienie %d, %d"},
		{"bg", "Пратката ми закъснява вече %d дни, поръчка %d"},
		{"bg", "Куриерът не се обади и пратката се върна, поръчка %d/%d"},
		{"bg", "Поръчка %d още не е доставена, чакам от %d дни"},
		{"en", "My parcel is late again, order %d, day %d"},
		{"", "Where is my order %d? It has been %d days"},
	}
	docs := make([]spike.Doc, 200)
	for i := range docs {
		d := templates[i%len(templates)]
		docs[i] = spike.Doc{Language: d.Language, Text: fmt.Sprintf(d.Text, 4000+i*7, 1+i%9)}
	}
	return docs
}

// doubleCharge is 50 complaints of a surge: the brand charged cards twice.
// One customer writes "rezalet" (outrageous) twenty times.
func doubleCharge(t testing.TB) []spike.Doc {
	t.Helper()
	templates := []spike.Doc{
		{"tr", "Faturamı iki kez çektiniz, paramı geri istiyorum (%d)"},
		{"tr", "Çift çekim yapılmış, FATURA ortada, sipariş %d"},
		{"tr", "FATURAMI iki kez ödedim, çift çekim var! %d"},
		{"tr", "Kartımdan iki kere çekildi, fatura tek ama. %d"},
		{"tr", "Bu ay fatura iki kez kesilmiş ve kartımdan çift çekim yapıldı, %d"},
		{"tr", "İKİ KEZ ücret alındı, iade bekliyorum %d"},
		{"ro", "M-ați taxat de două ori pe aceeași factură, vreau rambursare %d"},
		{"ro", "Rambursare urgentă, m-ați taxat de două ori! comanda %d"},
		{"pl", "Obciążyliście mnie dwa razy, nie zgadzam się, proszę o zwrot %d"},
		{"bg", "Таксувахте ме два пъти на картата, искам възстановяване %d"},
	}
	docs := make([]spike.Doc, 50)
	for i := range docs {
		d := templates[i%len(templates)]
		docs[i] = spike.Doc{Language: d.Language, Text: fmt.Sprintf(d.Text, 9100+i)}
	}
	docs[49].Text = strings.Repeat("Rezalet! ", 20) + docs[49].Text
	return docs
}

func TestTermsOfASurge(t *testing.T) {
	terms := spike.Terms(doubleCharge(t), usualDay(t), 8)
	t.Logf("terms: %s", spike.Summary(terms, len(terms)))
	if len(terms) != 8 {
		t.Fatalf("Terms = %d terms, want 8: %+v", len(terms), terms)
	}
	texts := make([]string, len(terms))
	for i, term := range terms {
		texts[i] = term.Text
	}
	for _, want := range []string{"iki kez", "fatura", "çift çekim", "două ori", "rambursare"} {
		if !slices.Contains(texts, want) {
			t.Errorf("Terms = %q, lacking %q", texts, want)
		}
	}
	// "iki", "kez", "çift" and "çekim" alone are said better by their
	// phrases.
	for _, w := range []string{"iki", "kez", "çift", "çekim"} {
		if slices.Contains(texts, w) {
			t.Errorf("Terms = %q, holding %q as well as its phrase", texts, w)
		}
	}
	// "ve", "bir", "și", "de", "nie", "на" are stop words, "rezalet" the
	// word of one customer.
	for _, term := range terms {
		for _, w := range strings.Fields(term.Text) {
			if slices.Contains([]string{"ve", "bir", "și", "de", "nie", "на", "rezalet"}, w) {
				t.Errorf("Terms = %q, holding %q", texts, w)
			}
		}
	}
	if terms[0].Text != "iki kez" || terms[0].Spike != 20 || terms[0].Usual != 0 {
		t.Errorf("Terms[0] = %+v, want \"iki kez\" in 20 spike messages and no usual one", terms[0])
	}
}

// The terms of the same messages are the same in any order.
func TestTermsDeterministic(t *testing.T) {
	s, u := doubleCharge(t), usualDay(t)
	first := spike.Terms(s, u, 20)
	for i := range 5 {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		rng.Shuffle(len(u), func(i, j int) { u[i], u[j] = u[j], u[i] })
		if again := spike.Terms(s, u, 20); !reflect.DeepEqual(again, first) {
			t.Fatalf("shuffle %d: Terms =\n%+v\nwant\n%+v", i, again, first)
		}
	}
}

// Each case is a small spike against no usual messages, so the terms are
// the commonest; want is what comes first.
func TestTermsCounting(t *testing.T) {
	docs := func(lang string, texts ...string) []spike.Doc {
		ds := make([]spike.Doc, len(texts))
		for i, text := range texts {
			ds[i] = spike.Doc{Language: lang, Text: text}
		}
		return ds
	}
	tests := []struct {
		name  string
		spike []spike.Doc
		want  spike.Term
	}{
		{"Turkish capitals", docs("tr", "FATURAMI", "faturamı yok", "Faturamı!"), spike.Term{Text: "faturamı", Spike: 3}},
		{"a message without accents", docs("tr", "faturamı", "faturami", "FATURAMI"), spike.Term{Text: "faturamı", Spike: 3}},
		{"capitals of unknown language", docs("", "FATURAMI", "faturamı"), spike.Term{Text: "faturami", Spike: 2}},
		{"Turkish İ", docs("tr", "İADE", "iade", "İade"), spike.Term{Text: "iade", Spike: 3}},
		{"a stray accent", docs("ro", "fatura", "faturá", "fatura"), spike.Term{Text: "fatura", Spike: 3}},
		{"Polish ł and ę", docs("pl", "ZWROT PIENIĘDZY", "zwrot pieniedzy", "zwrot pieniędzy"), spike.Term{Text: "zwrot pieniędzy", Spike: 3}},
		{"Bulgarian capitals", docs("bg", "РЕКЛАМАЦИЯ", "рекламация", "Рекламация"), spike.Term{Text: "рекламация", Spike: 3}},
		{"once a message", docs("tr", strings.Repeat("rezalet ", 20), "kargo gecikti", "kargo yok", "kargo nerede"), spike.Term{Text: "kargo", Spike: 3}},
		{"a phrase that is most of its word", docs("tr", "çift çekim", "çift çekim yapıldı", "ÇİFT ÇEKİM", "çift çekim", "çift tıklama"), spike.Term{Text: "çift çekim", Spike: 4}},
		{"a word that is more than its phrase", docs("tr", "kargo gecikti", "kargo gecikti", "kargo yok", "kargo nerede", "kargo kayıp"), spike.Term{Text: "kargo", Spike: 5}},
		{"a comma ends a phrase", docs("tr", "fatura, iade", "fatura, iade", "fatura, iade"), spike.Term{Text: "fatura", Spike: 3}},
		{"a stop word ends a phrase", docs("tr", "fatura ve iade", "fatura ve iade", "fatura ve iade"), spike.Term{Text: "fatura", Spike: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spike.Terms(tt.spike, nil, 10)
			if len(got) == 0 || got[0].Text != tt.want.Text || got[0].Spike != tt.want.Spike {
				t.Errorf("Terms = %+v, want first %q in %d", got, tt.want.Text, tt.want.Spike)
			}
		})
	}
}

// Each case's words must not be terms: they are said by every message of
// a spike of 3, against no usual messages.
func TestTermsDrop(t *testing.T) {
	tests := []struct {
		name, lang, text string
		dropped          []string
		kept             []string
	}{
		{"Turkish stop words", "tr", "Bu fatura için çok ama çok bekledim ve bir şey olmadı", []string{"bu", "için", "çok", "ama", "ve", "bir", "şey"}, []string{"fatura", "bekledim"}},
		{"Romanian stop words", "ro", "Și eu am plătit de două ori pentru această factură", []string{"și", "eu", "am", "de", "pentru", "această"}, []string{"plătit", "două ori", "factură"}},
		{"Polish stop words", "pl", "Nie dostałem zwrotu, a to już tydzień", []string{"nie", "już", "to"}, []string{"dostałem zwrotu", "tydzień"}},
		{"Bulgarian stop words", "bg", "Не мога да вляза в профила на сайта", []string{"не", "да", "на"}, []string{"мога", "вляза", "профила", "сайта"}},
		{"English stop words", "en", "I was charged twice for the same order", []string{"was", "for", "the", "same"}, []string{"charged twice", "order"}},
		{"the list of the message's language only", "en", "customer care never answers", nil, []string{"customer care"}},
		{"every list when the language is unknown", "", "customer care never answers", []string{"care"}, []string{"customer", "never answers"}},
		{"a region in the tag", "ro-RO", "Și eu aștept rambursare", []string{"și", "eu"}, []string{"aștept rambursare"}},
		{"short words and numbers", "en", "ok my order 554210 is 2 weeks late", []string{"ok", "554210", "2"}, []string{"order", "weeks late"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := spike.Doc{Language: tt.lang, Text: tt.text}
			terms := spike.Terms([]spike.Doc{d, d, d}, nil, 100)
			var texts []string
			for _, term := range terms {
				texts = append(texts, term.Text)
				for _, w := range strings.Fields(term.Text) {
					if slices.Contains(tt.dropped, w) {
						t.Errorf("Terms = %q, holding %q", texts, w)
					}
				}
			}
			for _, want := range tt.kept {
				if !slices.Contains(texts, want) {
					t.Errorf("Terms = %q, lacking %q", texts, want)
				}
			}
		})
	}
}

func TestTermsThresholds(t *testing.T) {
	usual := make([]spike.Doc, 100)
	for i := range usual {
		usual[i] = spike.Doc{Language: "tr", Text: "kargo gecikti"}
		if i%10 == 0 {
			usual[i].Text = "kargo gecikti, fatura gelmedi"
		}
	}
	tests := []struct {
		name  string
		spike []string
		want  []string
	}{
		{"two messages are not a topic", []string{"iade istiyorum", "iade istiyorum", "fatura gelmedi", "fatura gelmedi", "fatura gelmedi"}, []string{"fatura gelmedi"}},
		{"as common as usual is not a topic", []string{"kargo gecikti", "kargo gecikti", "fatura gelmedi", "fatura gelmedi", "fatura gelmedi"}, []string{"fatura gelmedi"}},
		{"nothing new", []string{"kargo gecikti", "kargo gecikti", "kargo gecikti"}, nil},
		{"a spike of two", []string{"iade istiyorum", "iade"}, []string{"iade"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s []spike.Doc
			for _, text := range tt.spike {
				s = append(s, spike.Doc{Language: "tr", Text: text})
			}
			var got []string
			for _, term := range spike.Terms(s, usual, 10) {
				got = append(got, term.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Terms = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTermsNone(t *testing.T) {
	u := usualDay(t)
	if got := spike.Terms(nil, u, 5); got != nil {
		t.Errorf("Terms of no spike = %+v", got)
	}
	if got := spike.Terms(doubleCharge(t), u, 0); got != nil {
		t.Errorf("Terms(n = 0) = %+v", got)
	}
}

func TestSummary(t *testing.T) {
	terms := []spike.Term{{Text: "fatura", Spike: 38}, {Text: "çift çekim", Spike: 21}, {Text: "iade", Spike: 9}}
	tests := []struct {
		k    int
		want string
	}{
		{2, "“" + bot.Quote("fatura") + "” (38), “" + bot.Quote("çift çekim") + "” (21)"},
		{3, "“" + bot.Quote("fatura") + "” (38), “" + bot.Quote("çift çekim") + "” (21), “" + bot.Quote("iade") + "” (9)"},
		{10, "“" + bot.Quote("fatura") + "” (38), “" + bot.Quote("çift çekim") + "” (21), “" + bot.Quote("iade") + "” (9)"},
		{1, "“" + bot.Quote("fatura") + "” (38)"},
		{0, ``},
		{-1, ``},
	}
	for _, tt := range tests {
		if got := spike.Summary(terms, tt.k); got != tt.want {
			t.Errorf("Summary(k = %d) = %s, want %s", tt.k, got, tt.want)
		}
	}
	if got := spike.Summary(nil, 3); got != "" {
		t.Errorf("Summary(nil) = %q", got)
	}
}

// BenchmarkTerms reads a 2,000-message spike against 10,000 usual
// messages, of a vocabulary as varied as a busy day's.
func BenchmarkTerms(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 14))
	words := strings.Fields(`kargo sipariş teslimat kurye paket gecikti gelmedi nerede iade
		fatura ücret kart ödeme hesap şifre uygulama giriş kampanya indirim kupon
		coletul comanda livrare curier rambursare factură plată card cont parolă
		paczka zamówienie dostawa kurier zwrot faktura płatność karta konto hasło
		пратка поръчка доставка куриер възстановяване фактура плащане карта профил`)
	langs := []string{"tr", "ro", "pl", "bg", ""}
	message := func(extra string) spike.Doc {
		var t strings.Builder
		for range 8 + rng.IntN(12) {
			t.WriteString(words[rng.IntN(len(words))])
			t.WriteString(" ve de nie на ")
		}
		fmt.Fprintf(&t, "%d %s", rng.IntN(1_000_000), extra)
		return spike.Doc{Language: langs[rng.IntN(len(langs))], Text: t.String()}
	}
	s := make([]spike.Doc, 2000)
	for i := range s {
		s[i] = message("FATURAMI iki kez çektiniz, çift çekim!")
	}
	u := make([]spike.Doc, 10_000)
	for i := range u {
		u[i] = message("")
	}
	b.ReportAllocs()
	for b.Loop() {
		spike.Terms(s, u, 10)
	}
}
