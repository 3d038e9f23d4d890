package voice_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/voice"
)

func mustVoice(t *testing.T, o voice.Options) *voice.Voice {
	t.Helper()
	v, err := voice.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var braces = func(s string) []string {
	var out []string
	for rest := s; ; {
		i := strings.Index(rest, "{")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "}")
		out = append(out, rest[i:i+j+1])
		rest = rest[i+j+1:]
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCatalogueIsWhole: every shipped language has every phrase, with the
// placeholders English has, and nothing else in braces.
func TestCatalogueIsWhole(t *testing.T) {
	langs := voice.Languages()
	if want := []string{"bg", "de", "en", "es", "fr", "pl", "ro", "ru", "tr", "uk"}; !slices.Equal(langs, want) {
		t.Fatalf("languages %v, want %v", langs, want)
	}
	v := mustVoice(t, voice.Options{})
	w := bot.Words{Name: "{name}", Agent: "{agent}"}
	for _, l := range langs {
		for _, p := range bot.Phrases {
			text := v.Say(l, p, w)
			english := v.Say("en", p, w)
			if text == "" {
				t.Errorf("%s: %s is empty", l, p)
			}
			if got, want := braces(text), braces(english); !slices.Equal(got, want) {
				t.Errorf("%s: %s has placeholders %v, English %v", l, p, got, want)
			}
		}
	}
}

func TestLanguageMatching(t *testing.T) {
	v := mustVoice(t, voice.Options{Default: "tr"})
	tests := []struct{ in, want string }{
		{"", "tr"}, {"tr", "tr"}, {"tr-TR", "tr"}, {"ro-MD", "ro"}, {"pl", "pl"}, {"bg", "bg"}, {"uk", "uk"},
		{"ru-UA", "ru"}, {"de-AT", "de"}, {"en-GB", "en"}, {"pt-BR", "tr"}, {"ja", "tr"}, {"tr-CY", "tr"},
		{"az", "tr"}, {"kk", "tr"}, {"eu", "tr"}, // distant matches: the team's language, not Russian or Spanish
		{"x-klingon", "tr"}, {"!!", "tr"}, {"  pl  ", "pl"},
	}
	for _, tt := range tests {
		if got := v.Language(tt.in); got != tt.want {
			t.Errorf("Language(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSay(t *testing.T) {
	istanbul, _ := time.LoadLocation("Europe/Istanbul")
	now := time.Date(2026, 12, 4, 11, 0, 0, 0, istanbul) // a Friday
	v := mustVoice(t, voice.Options{})
	tests := []struct {
		lang string
		p    bot.Phrase
		w    bot.Words
		want string
	}{
		{"tr", bot.SayAck, bot.Words{Name: "Ayşe", Due: now.Add(3*time.Hour + 30*time.Minute), Zone: istanbul, Now: now},
			"Teşekkürler Ayşe, mesajınızı aldık. Ekibimizden biri en geç 14:30 size buradan yazacak."},
		{"tr", bot.SayAckClosed, bot.Words{Due: time.Date(2026, 12, 7, 9, 0, 0, 0, istanbul), Zone: istanbul, Now: now.Add(8 * time.Hour)},
			"Teşekkürler, mesajınızı aldık. Şu an mesai dışındayız; ekibimizden biri en geç Pazartesi, 09:00 size buradan yazacak."},
		{"en", bot.SayAck, bot.Words{Due: now.Add(time.Hour), Zone: istanbul, Now: now},
			"Thanks — we got it. Someone from our team will answer you here by 12:00."},
		{"pl", bot.SayAck, bot.Words{Name: "Łukasz", Due: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Zone: time.UTC, Now: now},
			"Dziękujemy, Łukasz, mamy Twoją wiadomość. Ktoś z naszego zespołu odpowie Ci tutaj — najpóźniej: poniedziałek, 09:00."},
		{"bg", bot.SaySignature, bot.Words{Agent: "Светла"}, "— Светла"},
		{"en", bot.SayHandover, bot.Words{}, "Someone from our team is taking over from here and has everything you told us, so you won't need to repeat it."},
		{"tr", bot.SayCall, bot.Words{}, "Telefonda konuşmak daha hızlı olabilir. Ekibimizden biri sizi arayabilir mi? Numaranızı buradan gönderin; numaranız sadece ekibimizde kalır."},
		{"en", bot.SaySignature, bot.Words{}, "—"},
		{"ro", bot.SayHandover, bot.Words{Agent: "Ștefan"}, "De acum se ocupă Ștefan, care știe tot ce ne-ați spus, așa că nu trebuie să repetați nimic."},
	}
	for _, tt := range tests {
		if got := v.Say(tt.lang, tt.p, tt.w); got != tt.want {
			t.Errorf("Say(%s, %s)\n got %q\nwant %q", tt.lang, tt.p, got, tt.want)
		}
	}
}

func TestOverrides(t *testing.T) {
	v := mustVoice(t, voice.Options{Default: "ro", Messages: map[string]map[bot.Phrase]string{
		"tr": {bot.SayGreeting: "Selam! Biz buradayız."},
	}})
	if got := v.Say("tr", bot.SayGreeting, bot.Words{}); got != "Selam! Biz buradayız." {
		t.Errorf("override: %q", got)
	}
	if got := v.Say("", bot.SayRating, bot.Words{}); !strings.HasPrefix(got, "Cum v-am ajutat?") {
		t.Errorf("the default language's text: %q", got)
	}
	refusals := []struct {
		o    voice.Options
		want string
	}{
		{voice.Options{Messages: map[string]map[bot.Phrase]string{"tr": {bot.SayAck: "Aldık {isim}"}}}, "messages.tr.ack: {isim} is not a placeholder of ack; it takes {name}, {due}"},
		{voice.Options{Messages: map[string]map[bot.Phrase]string{"tr": {"hello": "Selam"}}}, `messages.tr.hello: "hello" is not a message caredesk sends`},
		{voice.Options{Messages: map[string]map[bot.Phrase]string{"it": {bot.SayGreeting: "Ciao!"}}}, "messages.it: caredesk does not ship it, so it needs every message"},
		{voice.Options{Default: "it"}, "the default language it is not shipped"},
		{voice.Options{Default: "??"}, `"??" is not a language code`},
	}
	for _, tt := range refusals {
		if _, err := voice.New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want %q", tt.o, err, tt.want)
		}
	}
}

func TestCliche(t *testing.T) {
	v := mustVoice(t, voice.Options{Default: "tr", Cliches: map[string][]string{"pl": {"Z  wyrazami szacunku"}}})
	tests := []struct{ lang, text, want string }{
		{"tr", "DEĞERLİ MÜŞTERİMİZ, siparişiniz yolda.", "değerli müşterimiz"},
		{"en", "We apologize for any   inconvenience.", "we apologize for any inconvenience"},
		{"pl", "Z wyrazami szacunku, zespół", "z wyrazami szacunku"},
		{"ro", "Stimate client, vă mulțumim.", "stimate client"},
		{"bg", "Уважаеми клиенти, пратката е на път.", "уважаеми клиенти"},
		{"", "Değerli müşterimiz", "değerli müşterimiz"}, // the team's language
		{"tr", "Kargonuz yarın sizde, Ayşe Hanım. Kusura bakmayın!", ""},
	}
	for _, tt := range tests {
		if got := v.Cliche(tt.lang, tt.text); got != tt.want {
			t.Errorf("Cliche(%s, %q) = %q, want %q", tt.lang, tt.text, got, tt.want)
		}
	}
}
