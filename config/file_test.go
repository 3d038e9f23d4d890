package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/config"
	"caredesk/spike"
)

func secrets(k string) string {
	return map[string]string{"TWITTER_HOOK_SECRET": "0123456789abcdef0123"}[k]
}

// secretsOnly gives every variable a long enough secret, and none of them
// as a file (NAME_FILE).
func secretsOnly(name string) string {
	if strings.HasSuffix(name, "_FILE") {
		return ""
	}
	return "a-long-enough-secret-value"
}

func TestExampleFile(t *testing.T) {
	f, err := config.LoadFile("testdata/caredesk.yaml", secrets, time.Hour)
	if err != nil {
		t.Fatalf("the example file is refused:\n%v", err)
	}
	ist, _ := time.LoadLocation("Europe/Istanbul")
	if f.Location.String() != "Europe/Istanbul" || f.Calendar.Location.String() != "Europe/Istanbul" || f.Rota.Location.String() != "Europe/Istanbul" {
		t.Errorf("zones: %v %v %v", f.Location, f.Calendar.Location, f.Rota.Location)
	}
	if got := f.Calendar.Hours[time.Saturday]; len(got) != 2 || got[1] != (bot.Span{Start: 13 * 60, End: 15 * 60}) {
		t.Errorf("saturday hours %v", got)
	}
	if len(f.Calendar.Hours[time.Sunday]) != 0 || len(f.Calendar.Hours[time.Wednesday]) != 1 {
		t.Errorf("sunday %v, wednesday %v", f.Calendar.Hours[time.Sunday], f.Calendar.Hours[time.Wednesday])
	}
	if !f.Calendar.Holidays["2026-12-31"] {
		t.Errorf("holidays %v", f.Calendar.Holidays)
	}
	if got := f.SLAFor("webhook:twitter"); got != (bot.SLA{FirstResponse: 30 * time.Minute, Resolution: 48 * time.Hour, BusinessHours: true}) {
		t.Errorf("twitter SLA %+v", got)
	}
	if got := f.SLAFor("discord"); got != (bot.SLA{FirstResponse: time.Hour, Resolution: 48 * time.Hour}) {
		t.Errorf("default SLA %+v", got)
	}
	if f.Escalation.Lead != "U0LEAD01" || f.Escalation.UnclaimedAfter != 15*time.Minute || len(f.Escalation.Reminders) != 2 {
		t.Errorf("escalation %+v", f.Escalation)
	}
	if len(f.Rota.Rotations) != 2 {
		t.Fatalf("rotations %+v", f.Rota.Rotations)
	}
	wk, we := f.Rota.Rotations[0], f.Rota.Rotations[1]
	if wk.HandoverDay != time.Monday || wk.HandoverTime != 9*60 || !wk.Start.Equal(time.Date(2026, 11, 2, 9, 0, 0, 0, ist)) || len(wk.Members) != 3 {
		t.Errorf("weekly rotation %+v", wk)
	}
	if we.Length != "weekend" || we.HandoverDay != time.Friday || we.HandoverTime != 18*60 || we.EndDay != time.Monday || we.EndTime != 9*60 || we.Layer != bot.Primary {
		t.Errorf("weekend rotation %+v", we)
	}
	if o := f.Rota.Overrides; len(o) != 1 || !o[0].From.Equal(time.Date(2026, 12, 5, 18, 0, 0, 0, ist)) || o[0].Agent != "U0CAROL1" {
		t.Errorf("overrides %+v", o)
	}
	if w := f.Webhooks; len(w) != 1 || w[0].Secret != "0123456789abcdef0123" || w[0].Display != "X (Twitter)" || w[0].SilenceAlarm != 6*time.Hour {
		t.Errorf("webhooks %+v", w)
	}
	if f.HighReach != 5000 || f.People["U0BOB001"] != "bob" {
		t.Errorf("high reach %d, people %v", f.HighReach, f.People)
	}
}

func TestFileMistakesNameLineAndKey(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"timezone: Mars/Olympus\n", `caredesk.yaml:1: timezone: "Mars/Olympus" is not a time zone`},
		{"timezon: UTC\n", `caredesk.yaml:1: timezon: unknown setting; the settings here are business_hours, cliches, csat, customers, escalation,`},
		{"business_hours:\n  mon-fry: 09:00-18:00\n", `caredesk.yaml:2: business_hours.mon-fry: "mon-fry" is not a day or a range of days`},
		{"business_hours:\n  mon: 18:00-09:00\n", `caredesk.yaml:2: business_hours.mon: "18:00-09:00" is not a span of hours`},
		{"holidays: [2026-13-01]\n", `caredesk.yaml:1: holidays[0]: "2026-13-01" is not a date`},
		{"sla:\n  first_response: soon\n", `caredesk.yaml:2: sla.first_response: "soon" is not a duration`},
		{"sla:\n  sources:\n    whatsapp: {first_response: 1h}\n", `caredesk.yaml:3: sla.sources.whatsapp: "whatsapp" is not a source`},
		{"sla:\n  hours: weekdays\n", `caredesk.yaml:2: sla.hours: "weekdays" is neither always nor business`},
		{"sla:\n  reminders: [50, 120]\n", `caredesk.yaml:2: sla.reminders[1]: "120" is not a percentage`},
		{"escalation:\n  lead: alice\n", `caredesk.yaml:2: escalation.lead: "alice" is not a Slack or Discord user id`},
		{"rota:\n  rotations:\n    - members: [U0ALICE1]\n      start: 2026-11-02\n      handover: monday 9\n", `caredesk.yaml:5: rota.rotations[0].handover: "monday 9" is not a day and time: write it like "mon 09:00"`},
		{"rota:\n  rotations:\n    - handover: mon 09:00\n      start: 2026-11-02\n", `caredesk.yaml:3: rota.rotations[0].members: a rotation needs members`},
		{"rota:\n  rotations:\n    - handover: mon 09:00\n      members: [U0ALICE1]\n", `caredesk.yaml:3: rota.rotations[0].start: a rotation needs the date its first shift starts`},
		{"rota:\n  rotations:\n    - length: weekend\n      members: [U0ALICE1]\n      start: 2026-11-06\n", `caredesk.yaml:3: rota.rotations[0]: a weekend rotation needs from and until`},
		{"rota:\n  rotations:\n    - length: fortnightly\n", `caredesk.yaml:3: rota.rotations[0].length: "fortnightly" is not a length`},
		{"rota:\n  overrides:\n    - agent: U0ALICE1\n      from: 2026-12-06T09:00\n      until: 2026-12-05T18:00\n", `caredesk.yaml:3: rota.overrides[0].until: until must come after from`},
		{"rota:\n  overrides:\n    - agent: U0ALICE1\n      from: tomorrow\n      until: 2026-12-05T18:00\n", `caredesk.yaml:4: rota.overrides[0].from: "tomorrow" is not a date and time`},
		{"sources:\n  webhook:\n    - name: Twitter!\n      secret_env: TWITTER_HOOK_SECRET\n", `caredesk.yaml:3: sources.webhook[0].name: "Twitter!" cannot be a source name`},
		{"sources:\n  webhook:\n    - name: forum\n", `caredesk.yaml:3: sources.webhook[0].secret_env: a webhook source needs secret_env`},
		{"sources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_SECRET\n", `caredesk.yaml:3: sources.webhook[0].secret_env: FORUM_SECRET must hold the signing secret of source "forum"`},
		{"sources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      reply_url: n8n.local/hook\n", `caredesk.yaml:5: sources.webhook[0].reply_url: "n8n.local/hook", which is not a URL`},
		{"sources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      silence_alarm: quiet\n", `caredesk.yaml:5: sources.webhook[0].silence_alarm: "quiet" is not a duration`},
		{"sources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      silence_alarm: 0s\n", `caredesk.yaml:5: sources.webhook[0].silence_alarm: "0s" is not longer than nothing: write a positive duration`},
		{"sources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      silence_alarm: [1h]\n", `caredesk.yaml:5: sources.webhook[0].silence_alarm: a duration is one value, not a list`},
		{"sources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      silence_alarms: 2h\n", `caredesk.yaml:5: sources.webhook[0].silence_alarms: unknown setting`},
		{"high_reach: lots\n", `caredesk.yaml:1: high_reach: "lots" is not a whole number`},
		{"csat:\n  sources: [telegram, webhook:forum]\n", `caredesk.yaml:2: csat.sources[1]: "webhook:forum" is not a source`},
		{"csat:\n  delay: later\n", `caredesk.yaml:2: csat.delay: "later" is not a duration`},
		{"csat:\n  enabled: maybe\n", `caredesk.yaml:2: csat.enabled: "maybe" is not true or false`},
		{"csat:\n  low: 5\n", `caredesk.yaml:2: csat.low: "5" is not a score from 0 to 4`},
		{"csat:\n  question: \"\"\n", `caredesk.yaml:2: csat.question: expected text of 1 to 300 characters`},
		{"reports:\n  weekly_digest: monday\n", `caredesk.yaml:2: reports.weekly_digest: "monday" is not a day and time: write it like "mon 09:00"`},
		{"reports:\n  monthly_digest: noon\n", `caredesk.yaml:2: reports.monthly_digest: "noon" is not a time of day`},
		{"language: klingon\n", `caredesk.yaml:1: language: "klingon" is not a language code`},
		{"language: it\n", `caredesk.yaml:1: language: "it" is not a language caredesk ships (bg, de, en, es, fr, pl, ro, ru, tr, uk); write it, or give every message under messages.it`},
		{"language: tr-TR\n", `write tr, or give every message under messages.tr-tr`},
		{"csat:\n  question: \"Rate us {1-5}\"\n", `caredesk.yaml:2: csat.question: {1-5} is not a placeholder of rating; it takes none`},
		{"messages:\n  portugues_br:\n    greeting: Olá\n", `caredesk.yaml:2: messages.portugues_br: "portugues_br" is not a language code`},
		{"cliches:\n  turkish: [a]\n", `caredesk.yaml:2: cliches.turkish: "turkish" is not a language code`},
		{"messages:\n  tr:\n    ack: \"Aldık {isim}\"\n", `caredesk.yaml:3: messages.tr.ack: {isim} is not a placeholder of ack; it takes {name}, {due}`},
		{"messages:\n  tr:\n    hello: Selam\n", `caredesk.yaml:3: messages.tr.hello: "hello" is not a message caredesk sends`},
		{"messages:\n  it:\n    greeting: Ciao\n", `caredesk.yaml:2: messages.it: caredesk does not ship it, so it needs every message; missing: ack,`},
		{"customers:\n  acknowledge: [telegram, webhook:forum]\n", `caredesk.yaml:2: customers.acknowledge[1]: "webhook:forum" is not a source`},
		{"customers:\n  signature: maybe\n", `caredesk.yaml:2: customers.signature: "maybe" is not true or false`},
		{"cliches:\n  tr: phrase\n", `caredesk.yaml:2: cliches.tr: expected a list of phrases`},
		{"reports:\n  digest: weekly\n", `caredesk.yaml:2: reports.digest: unknown setting; the settings here are monthly_digest, weekly_digest`},
		{"rota: [\n", `caredesk.yaml:1: did not find expected node content: fix the YAML syntax`},
		{"spikes: sometimes\n", `caredesk.yaml:1: spikes: "sometimes" is neither off nor settings: write spikes: off, or the settings as key: value lines (cool_down, factor, floor, min, ping, weeks, window)`},
		{"spikes: [lead]\n", `caredesk.yaml:1: spikes: expected settings (key: value lines) or off here`},
		{"spikes:\n", `caredesk.yaml:1: spikes: expected settings (key: value lines) or off here`},
		{"spikes:\n  window: 25h\n  cool_down: 2d\n", `caredesk.yaml:2: spikes.window: "25h" is not a window of 5m to 24h`},
		{"spikes:\n  window: 3h\n", `caredesk.yaml:2: spikes.window: "3h" is longer than cool_down (2h, the default): a spike lasts at least a window, so add a cool_down of 3h or more`},
		{"spikes:\n  cool_down: 10m\n", `caredesk.yaml:2: spikes.cool_down: "10m" is shorter than window (30m)`},
		{"spikes:\n  factor: NaN\n", `caredesk.yaml:2: spikes.factor: "NaN" is not a number above 1`},
		{"spikes:\n  floor: .inf\n", `caredesk.yaml:2: spikes.floor: ".inf" is not a number of 0 or more`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), secrets, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("file\n%s\ngives %v\nwant %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func TestEveryMistakeAtOnce(t *testing.T) {
	_, err := config.ParseFile("c.yaml", []byte("timezone: Nowhere\nhigh_reach: -1\nsla:\n  first_response: 0s\n"), secrets, time.Hour)
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three problems, one per line; got:\n%v", err)
	}
}

func TestConfigFileVariable(t *testing.T) {
	_, err := load(t, map[string]string{"CAREDESK_CONFIG": "testdata/missing.yaml"})
	if err == nil || !strings.Contains(err.Error(), "CAREDESK_CONFIG names testdata/missing.yaml, which cannot be read") {
		t.Errorf("a missing file gives %v", err)
	}
	c, err := load(t, map[string]string{"CAREDESK_CONFIG": "testdata/caredesk.yaml", "TWITTER_HOOK_SECRET": "0123456789abcdef0123"})
	if err != nil {
		t.Fatal(err)
	}
	if c.File.HighReach != 5000 {
		t.Errorf("the file was not applied: %+v", c.File)
	}
}

func TestReportsAndSatisfaction(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string
		rating bot.RatingPolicy
		digest bot.DigestPolicy
	}{
		{"defaults", "", bot.DefaultRatingPolicy(), bot.DefaultDigestPolicy()},
		{"set", `
sources:
  webhook:
    - name: twitter
      secret_env: TWITTER_HOOK_SECRET
csat:
  delay: 30m
  sources: [telegram, webhook:twitter]
  question: "Nasıl yardımcı olduk? 1 kötü, 5 harika."
  low: 1
  follow_up: ""
  comment_window: 2h
reports:
  weekly_digest: fri 17:30
  monthly_digest: "08:00"
`, bot.RatingPolicy{Question: "Nasıl yardımcı olduk? 1 kötü, 5 harika.", Delay: 30 * time.Minute, Sources: []string{"telegram", "webhook:twitter"}, Low: 1, CommentWindow: 2 * time.Hour},
			bot.DigestPolicy{Weekly: true, Day: time.Friday, Minute: 17*60 + 30, Monthly: true, MonthlyMinute: 8 * 60}},
		{"off", "csat:\n  enabled: false\nreports:\n  weekly_digest: off\n",
			func() bot.RatingPolicy { r := bot.DefaultRatingPolicy(); r.Question = ""; return r }(),
			bot.DigestPolicy{Day: time.Monday, Minute: 9 * 60, MonthlyMinute: 9 * 60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), secretsOnly, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(f.Rating) != fmt.Sprint(tt.rating) || f.Digest != tt.digest {
				t.Errorf("csat %+v, reports %+v\nwant %+v, %+v", f.Rating, f.Digest, tt.rating, tt.digest)
			}
		})
	}
}

func TestTheTeamsVoice(t *testing.T) {
	f, err := config.ParseFile("caredesk.yaml", []byte(`language: tr
customers:
  acknowledge: [telegram]
  acknowledge_quiet: 2h
  signature: false
  same_replies: 5
csat:
  question: "Bizi 1 ile 5 arasında puanlar mısınız?"
messages:
  tr:
    ack: "Sağ olun {name}, en geç {due} buradan yazıyoruz."
  pl:
    greeting: "Dzień dobry! Napisz, co się stało."
cliches:
  tr: ["müşteri memnuniyeti önceliğimizdir"]
`), secrets, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if f.Language != "tr" || !slices.Equal(f.Customer.Ack, []string{"telegram"}) || f.Customer.AckQuiet != 2*time.Hour || f.Customer.Sign || f.Customer.SameReplies != 5 {
		t.Errorf("customers %+v, language %q", f.Customer, f.Language)
	}
	v, err := f.Voice()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang string
		p    bot.Phrase
		want string
	}{
		{"tr", bot.SayAck, "Sağ olun Ayşe, en geç 14:30 buradan yazıyoruz."},
		{"", bot.SayRating, "Bizi 1 ile 5 arasında puanlar mısınız?"},
		{"pl", bot.SayGreeting, "Dzień dobry! Napisz, co się stało."},
	} {
		due := time.Date(2026, 12, 4, 14, 30, 0, 0, time.UTC)
		if got := v.Say(c.lang, c.p, bot.Words{Name: "Ayşe", Due: due, Zone: time.UTC, Now: due}); got != c.want {
			t.Errorf("Say(%s, %s) = %q, want %q", c.lang, c.p, got, c.want)
		}
	}
	if got := v.Cliche("tr", "Müşteri memnuniyeti önceliğimizdir."); got == "" {
		t.Error("the file's stock phrase is not known")
	}
}

func TestTeamsAndRoutes(t *testing.T) {
	f, err := config.LoadFile("testdata/teams.yaml", secrets, time.Hour)
	if err != nil {
		t.Fatalf("the teams example is refused:\n%v", err)
	}
	ist, _ := time.LoadLocation("Europe/Istanbul")
	buc, _ := time.LoadLocation("Europe/Bucharest")
	zone := func(l *time.Location) string { return l.String() }
	if len(f.Teams) != 4 {
		t.Fatalf("teams %+v", f.Teams)
	}
	tr, ro, uk, billing := f.Teams[0], f.Teams[1], f.Teams[2], f.Teams[3]
	tests := []struct {
		name string
		ok   bool
	}{
		{"names and channels", tr.Name == "tr-care" && tr.Channel == "C0TRCARE" && ro.Name == "ro-care" && billing.Channel == "C0BILLING"},
		{"a team without timezone has the top zone and hours", zone(tr.Calendar.Location) == zone(ist) && fmt.Sprint(tr.Calendar.Hours) == fmt.Sprint(f.Calendar.Hours) && tr.Calendar.Holidays["2026-12-31"]},
		{"a team's own timezone keeps the top hours in its zone", zone(ro.Calendar.Location) == zone(buc) && fmt.Sprint(ro.Calendar.Hours) == fmt.Sprint(f.Calendar.Hours)},
		{"a team's holidays replace the top ones", ro.Calendar.Holidays["2026-12-01"] && !ro.Calendar.Holidays["2026-12-31"]},
		{"a team's business hours replace the top ones", len(billing.Calendar.Hours[time.Saturday]) == 1 && zone(billing.Calendar.Location) == zone(ist) && len(f.Calendar.Hours[time.Saturday]) == 0},
		{"a team without sla has the top one, per source too", tr.SLAFor("discord") == f.SLA && tr.SLAFor("telegram") == (bot.SLA{FirstResponse: 30 * time.Minute, Resolution: 48 * time.Hour})},
		{"a team's sla overrides what it says, keeps the rest", ro.SLAFor("discord") == (bot.SLA{FirstResponse: 2 * time.Hour, Resolution: 48 * time.Hour}) && ro.SLAFor("telegram") == f.SLAFor("telegram")},
		{"a team's per-source sla builds on its own sla", ro.SLAFor("webhook:sikayet") == (bot.SLA{FirstResponse: 4 * time.Hour, Resolution: 48 * time.Hour})},
		{"a team's sla reaches neither the top level nor another team", f.SLA == (bot.SLA{FirstResponse: time.Hour, Resolution: 48 * time.Hour}) && len(f.SourceSLA) == 1 && tr.SLAFor("webhook:sikayet") == f.SLA && len(billing.SourceSLA) == 1},
		{"a team's holidays do not reach the top level", len(f.Calendar.Holidays) == 1 && f.Calendar.Holidays["2026-12-31"] && len(billing.Calendar.Holidays) == 1},
		{"lead is escalation.lead", tr.Escalation.Lead == "U0LEADTR" && tr.Escalation.UnclaimedAfter == 15*time.Minute && ro.Escalation.Lead == "U0LEAD01" && f.Escalation.Lead == "U0LEAD01"},
		{"a team without rota shares the top one", zone(billing.Rota.Location) == zone(ist) && len(billing.Rota.Rotations) == 1 && billing.Rota.Rotations[0].Name == "nights"},
		{"a team with its own zone but no rota keeps the top rota's zone", zone(uk.Rota.Location) == zone(ist) && uk.Calendar.Location.String() == "Europe/London" && len(uk.Rota.Rotations) == 1},
		{"a team's rota is only its own, in its zone", zone(ro.Rota.Location) == zone(buc) && len(ro.Rota.Rotations) == 1 && ro.Rota.Rotations[0].Name == "ro-nights" && ro.Rota.Rotations[0].Start.Equal(time.Date(2026, 11, 2, 18, 0, 0, 0, buc))},
		{"the top rota stays the top's", len(f.Rota.Rotations) == 1 && zone(f.Rota.Location) == zone(ist)},
		{"routes in order", len(f.Routes) == 3 && f.Routes[0].Language == "ro" && f.Routes[1].Source == "webhook:sikayet" && slices.Equal(f.Routes[2].Keywords, []string{"fatura", "refund", "çift çekim", "rambursare"})},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: not so", tt.name)
		}
	}
	if f.DefaultTeam != "uk-care" {
		t.Errorf("default team %q, want uk-care, the last team no route names", f.DefaultTeam)
	}
	route := f.Router()
	if route == nil {
		t.Fatal("no router with teams")
	}
	for _, c := range []struct{ source, lang, text, team, why string }{
		{"telegram", "ro-RO", "Bună ziua, comanda mea nu a sosit", "ro-care", "rule 1"},
		{"webhook:sikayet", "tr", "Kargom gelmedi", "tr-care", "rule 2"},
		{"telegram", "tr", "FATURAMI göremiyorum", "billing", `"fatura"`},
		{"discord", "", "where is my parcel", "uk-care", "default team"},
	} { // the reason's wording is route's; it must say which rule
		if team, why := route(c.source, c.lang, c.text); team != c.team || !strings.Contains(why, c.why) {
			t.Errorf("%s %s %q goes to %s (%s), want %s (… %s …)", c.source, c.lang, c.text, team, why, c.team, c.why)
		}
	}
}

func TestDefaultTeam(t *testing.T) {
	teams := "teams:\n  - {name: a, channel: C0AAAAAA}\n  - {name: b, channel: C0BBBBBB}\n  - {name: c, channel: C0CCCCCC}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"single desk", "timezone: UTC\n", ""},
		{"no routes: the last team", teams, "c"},
		{"the last team no route names", teams + "routes:\n  - {team: c, language: ro}\n", "b"},
		{"routes name every team: the last", teams + "routes:\n  - {team: c, language: ro}\n  - {team: a, source: telegram}\n  - {team: b, keywords: [x]}\n", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), secrets, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if f.DefaultTeam != tt.want {
				t.Errorf("default team %q, want %q", f.DefaultTeam, tt.want)
			}
			if (f.Router() == nil) != (tt.want == "") {
				t.Errorf("router %v with teams %+v", f.Router() != nil, f.Teams)
			}
			if tt.want != "" {
				if team, _ := f.Router()("discord", "", "nothing"); team != tt.want {
					t.Errorf("what no route matches goes to %q", team)
				}
			}
		})
	}
}

func TestEveryTeamAndRouteMistakeAtOnce(t *testing.T) {
	yaml := `timezone: Europe/Istanbul
teams:
  - channel: C0NONAME
  - name: Ro Care
    channel: C0ROCARE
  - name: tr-care
    channel: C0TRCARE
  - name: tr-care
    channel: C0OTHER1
  - name: billing
  - name: shop
    channel: "#shop"
  - name: dup
    channel: C0TRCARE
  - name: extra
    channel: "80351110224678912"
    colour: red
    business_hours: {mon-fry: 09:00-18:00}
    lead: alice
routes:
  - {team: ro-care, language: ro}
  - {language: tr}
  - {team: billing, keywords: []}
  - {team: billing, keywords: ["!!!"]}
  - {team: billing, language: romanian}
  - {team: billing, source: whatsapp}
  - {team: billing, source: telegram, priority: high}
  - {team: shop}
  - {team: extra, source: telegram}
`
	_, err := config.ParseFile("c.yaml", []byte(yaml), secrets, time.Hour)
	if err == nil {
		t.Fatal("the file is taken")
	}
	want := []string{
		`c.yaml:3: teams[0].name: a team needs a name`,
		`c.yaml:4: teams[1].name: "Ro Care" cannot be a team name`,
		`c.yaml:8: teams[3].name: "tr-care" is the name of teams[2] too`,
		`c.yaml:10: teams[4].channel: a team needs channel, the id of its desk channel: Slack channel details → copy the channel ID (C…), or on Discord the channel's id`,
		`c.yaml:12: teams[5].channel: "#shop" is not a channel id`,
		`c.yaml:14: teams[6].channel: C0TRCARE is the channel of team "tr-care" too`,
		`c.yaml:17: teams[7].colour: unknown setting; the settings here are business_hours, channel, escalation, holidays, lead, name, rota, sla, timezone`,
		`c.yaml:18: teams[7].business_hours.mon-fry: "mon-fry" is not a day`,
		`c.yaml:19: teams[7].lead: "alice" is not a Slack or Discord user id`,
		`c.yaml:16: teams[7].channel: 80351110224678912 is a Discord channel id, and the desk is Slack (DISCORD_DESK_CHANNEL_ID is not set)`,
		`c.yaml:21: routes[0].team: "ro-care" is not a team of this file; the teams are tr-care, billing, shop, dup, extra`,
		`c.yaml:22: routes[1].team: a route needs team`,
		`c.yaml:23: routes[2].keywords: the list is empty, so the route would match nothing: write at least one word, or leave keywords out`,
		`c.yaml:24: routes[3].keywords[0]: the keyword "!!!" has no letter or digit`,
		`c.yaml:25: routes[4].language: "romanian" is not a language`,
		`c.yaml:26: routes[5].source: "whatsapp" is not a source`,
		`c.yaml:27: routes[6].priority: unknown setting; the settings here are keywords, language, source, team`,
		`c.yaml:29: routes[8]: rule 9 can never match: rule 8 before it matches every complaint`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), "\n"+w) && !strings.HasPrefix(err.Error(), w) {
			t.Errorf("want a line %q in:\n%v", w, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(want) {
		t.Errorf("%d problems, want %d:\n%v", got, len(want), err)
	}
}

func TestTeamMistakes(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"teams: tr-care\n", `caredesk.yaml:1: teams: expected a list of teams, each with name and channel`},
		{"teams: []\n", `caredesk.yaml:1: teams: expected a list of teams`},
		{"routes:\n  - {team: a, language: ro}\n", `caredesk.yaml:1: routes: routes send complaints to teams, and the file has none: add a teams section, or leave routes out`},
		{"teams:\n  - {name: a, channel: C0AAAAAA}\nroutes: {team: a}\n", `caredesk.yaml:3: routes: expected a list of routes`},
		{"teams:\n  - {name: a, channel: C0AAAAAA}\nroutes:\n  - {team: a, keywords: fatura}\n", `caredesk.yaml:4: routes[0].keywords: expected a list of words or phrases`},
		{"teams:\n  - {name: a, channel: C0AAAAAA, timezone: Mars/Olympus}\n", `caredesk.yaml:2: teams[0].timezone: "Mars/Olympus" is not a time zone`},
		{"teams:\n  - name: a\n    channel: C0AAAAAA\n    sla: {sources: {whatsapp: {first_response: 1h}}}\n", `caredesk.yaml:4: teams[0].sla.sources.whatsapp: "whatsapp" is not a source`},
		{"teams:\n  - name: a\n    channel: C0AAAAAA\n    rota:\n      rotations:\n        - members: [U0ALICE1]\n          handover: mon 09:00\n", `caredesk.yaml:6: teams[0].rota.rotations[0].start: a rotation needs the date`},
		{"teams:\n  - name: a\n    channel: C0AAAAAA\n    escalation: {backup_after: soon}\n", `caredesk.yaml:4: teams[0].escalation.backup_after: "soon" is not a duration`},
		{"teams:\n  - name: a\n    channel: C0AAAAAA\n    holidays: [2026-13-01]\n", `caredesk.yaml:4: teams[0].holidays[0]: "2026-13-01" is not a date`},
		{"teams:\n  - name: " + strings.Repeat("a", 41) + "\n    channel: C0AAAAAA\n", `caredesk.yaml:2: teams[0].name: "` + strings.Repeat("a", 41) + `" cannot be a team name`},
		{"teams:\n  - name: \"12\"\n    channel: C0AAAAAA\n", `caredesk.yaml:2: teams[0].name: "12" cannot be a team name: use lowercase letters, digits, - and _, at most 40, starting with a letter`},
		{"teams:\n  - tr-care\n", `caredesk.yaml:2: teams[0]: expected a team's settings`},
		{"team: []\n", `caredesk.yaml:1: team: unknown setting; the settings here are business_hours, cliches, csat, customers, escalation, files, high_reach, holidays, language, messages, people, reports, rota, routes, sla, sources, spikes, storm, teams, timezone`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), secrets, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("file\n%s\ngives %v\nwant %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func TestTeamsBuildOnTheTopLevelWhereverItIs(t *testing.T) {
	f, err := config.ParseFile("caredesk.yaml", []byte(`routes:
  - {team: a, language: ro}
teams:
  - {name: a, channel: C0AAAAAA, sla: {resolution: 1d}}
  - {name: b, channel: C0BBBBBB}
sla: {first_response: 2h}
timezone: Asia/Tokyo
`), secrets, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Teams[0], f.Teams[1]
	if a.Calendar.Location.String() != "Asia/Tokyo" || b.Rota.Location.String() != "Asia/Tokyo" {
		t.Errorf("zones %v %v", a.Calendar.Location, b.Rota.Location)
	}
	if a.SLA != (bot.SLA{FirstResponse: 2 * time.Hour, Resolution: 24 * time.Hour}) || b.SLA != (bot.SLA{FirstResponse: 2 * time.Hour}) {
		t.Errorf("slas %+v %+v", a.SLA, b.SLA)
	}
	if f.DefaultTeam != "b" || len(f.Routes) != 1 {
		t.Errorf("default %q, routes %+v", f.DefaultTeam, f.Routes)
	}
}

func TestSpikes(t *testing.T) {
	fast := spike.Policy{Window: 15 * time.Minute, Factor: 2.5, Min: 6, Floor: 0.5, Weeks: 8, CoolDown: 45 * time.Minute}
	tests := []struct {
		name string
		yaml string
		want config.Spikes
	}{
		{"defaults", "timezone: UTC\n", config.Spikes{Policy: spike.DefaultPolicy(), Ping: []string{"lead", "on_duty"}}},
		{"set", `
spikes:
  window: 15m
  factor: 2.5
  min: 6
  floor: 0.5
  weeks: 8
  cool_down: 45m
  ping: [U024BE7LH, on_duty, lead, "80351110224678912"]
`, config.Spikes{Policy: fast, Ping: []string{"U024BE7LH", "on_duty", "lead", "80351110224678912"}}},
		{"off", "spikes: off\n", config.Spikes{Policy: spike.DefaultPolicy(), Off: true, Ping: []string{"lead", "on_duty"}}},
		{"false is off", "spikes: false\n", config.Spikes{Policy: spike.DefaultPolicy(), Off: true, Ping: []string{"lead", "on_duty"}}},
		{"what it leaves out is the default", "spikes:\n  factor: 4\n  ping: []\n",
			config.Spikes{Policy: func() spike.Policy { p := spike.DefaultPolicy(); p.Factor = 4; return p }(), Ping: []string{}}},
		{"each once, keywords in any case", "spikes:\n  ping: [On_Duty, U024BE7LH, on_duty, U024BE7LH]\n",
			config.Spikes{Policy: spike.DefaultPolicy(), Ping: []string{"on_duty", "U024BE7LH"}}},
		{"a long window with a cool-down as long", "spikes:\n  window: 1d\n  cool_down: 24h\n  weeks: 1\n  floor: 0\n",
			config.Spikes{Policy: spike.Policy{Window: 24 * time.Hour, Factor: 3, Min: 10, Floor: 0, Weeks: 1, CoolDown: 24 * time.Hour}, Ping: []string{"lead", "on_duty"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseFile("caredesk.yaml", []byte(tt.yaml), secrets, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Spikes
			if got.Policy != tt.want.Policy || got.Off != tt.want.Off || !slices.Equal(got.Ping, tt.want.Ping) || (got.Ping == nil) != (tt.want.Ping == nil) {
				t.Errorf("spikes %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestEverySpikeMistakeAtOnce(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"a cool-down shorter than the window", `timezone: UTC
spikes:
  window: 1h
  factor: 1
  min: 0
  floor: -0.5
  weeks: 13
  cool_down: 45m
  ping: [lead, oncall, on_duty, alice, U024BE7LH, {who: lead}]
  pings: [lead]
`, []string{
			`c.yaml:4: spikes.factor: "1" is not a number above 1: a spike is this many times the usual count, like 2.5 or 3`,
			`c.yaml:5: spikes.min: "0" is not a whole number of 1 or more: a spike needs at least this many complaints in the window`,
			`c.yaml:6: spikes.floor: "-0.5" is not a number of 0 or more: it is the usual count assumed until there are weeks of history, like 3 or 0.5`,
			`c.yaml:7: spikes.weeks: "13" is not a whole number from 1 to 12: it is how many past weeks make the usual count`,
			`c.yaml:9: spikes.ping[1]: "oncall" is neither lead, on_duty nor a Slack or Discord user id: write lead (escalation.lead), on_duty (whoever is on the rota now) or the member id, like U024BE7LH (Slack: profile → ⋮ → Copy member ID) or 80351110224678912 (Discord)`,
			`c.yaml:9: spikes.ping[3]: "alice" is neither lead, on_duty nor a Slack or Discord user id`,
			`c.yaml:9: spikes.ping[5]: "" is neither lead, on_duty nor a Slack or Discord user id`,
			`c.yaml:10: spikes.pings: unknown setting; the settings here are cool_down, factor, floor, min, ping, weeks, window`,
			`c.yaml:8: spikes.cool_down: "45m" is shorter than window (1h): a spike lasts at least a window, so write a cool_down of 1h or more`,
		}},
		{"a window out of range", `spikes:
  window: 3m
  factor: three
  min: ten
  floor: lots
  weeks: 0
  cool_down: 1m
  ping: lead
`, []string{
			`c.yaml:2: spikes.window: "3m" is not a window of 5m to 24h: complaints are counted over a span like 15m, 30m or 1h`,
			`c.yaml:3: spikes.factor: "three" is not a number above 1`,
			`c.yaml:4: spikes.min: "ten" is not a whole number of 1 or more`,
			`c.yaml:5: spikes.floor: "lots" is not a number of 0 or more`,
			`c.yaml:6: spikes.weeks: "0" is not a whole number from 1 to 12`,
			`c.yaml:8: spikes.ping: expected a list of who gets a direct message, like [lead, on_duty, U024BE7LH]`,
		}},
		{"durations that do not read", `spikes:
  window: soon
  cool_down: 0s
`, []string{
			`c.yaml:2: spikes.window: "soon" is not a duration: write it like 30m, 1h, 36h or 7d`,
			`c.yaml:3: spikes.cool_down: "0s" is not longer than nothing: write a positive duration, like 30m, 1h, 36h or 7d`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParseFile("c.yaml", []byte(tt.yaml), secrets, time.Hour)
			if err == nil {
				t.Fatal("the file is taken")
			}
			lines := strings.Split(err.Error(), "\n")
			for _, w := range tt.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, w) }) {
					t.Errorf("want a line %q in:\n%v", w, err)
				}
			}
			if len(lines) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
		})
	}
}

// TestTeamChannelOfTheDesksKind: a team's channel is the desk's kind, as
// the settings say, and a mistake names its line and key.
func TestTeamChannelOfTheDesksKind(t *testing.T) {
	discord := func(k string) string {
		if k == "DISCORD_DESK_CHANNEL_ID" {
			return "80351110224678000"
		}
		return ""
	}
	slack := func(string) string { return "" }
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		channel string
		want    string // "" when taken
	}{
		{"Slack desk, Slack channel", slack, "C0AAAAAA", ""},
		{"Slack desk, Discord channel", slack, `"80351110224678912"`, `caredesk.yaml:3: teams[0].channel: 80351110224678912 is a Discord channel id, and the desk is Slack`},
		{"Discord desk, Discord channel", discord, `"80351110224678912"`, ""},
		{"Discord desk, Slack channel", discord, "C0AAAAAA", `caredesk.yaml:3: teams[0].channel: C0AAAAAA is a Slack channel id, and the desk is Discord`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParseFile("caredesk.yaml", []byte("teams:\n  - name: a\n    channel: "+tt.channel+"\n"), tt.getenv, time.Hour)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStorm(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want bot.StormPolicy
		errs []string
	}{
		{name: "defaults", yaml: "timezone: UTC\n", want: bot.StormPolicy{Behind: 30 * time.Second, Rate: 1}},
		{name: "set", yaml: "storm:\n  behind: 2m\n  rate: 0.5\n", want: bot.StormPolicy{Behind: 2 * time.Minute, Rate: 0.5}},
		{name: "what it leaves out is the default", yaml: "storm:\n  rate: 20\n", want: bot.StormPolicy{Behind: 30 * time.Second, Rate: 20}},
		{name: "off keeps the pace", yaml: "storm: off\n", want: bot.StormPolicy{Rate: 1}},
		{name: "mistakes", yaml: "storm:\n  behind: 0.5s\n  rate: 0\n  speed: 3\n", errs: []string{
			`c.yaml:2: storm.behind: "0.5s" is not a span of 1s to 1h: storm mode starts when the desk's posts are this far behind, like 30s or 2m`,
			`c.yaml:3: storm.rate: "0" is not a number above 0 and at most 100: it is how many posts a second the desk channel takes, about 1 on Slack and Discord`,
			`c.yaml:4: storm.speed: unknown setting; the settings here are behind, rate`,
		}},
		{name: "neither off nor settings", yaml: "storm: sometimes\n", errs: []string{
			`c.yaml:1: storm: "sometimes" is neither off nor settings: write storm: off, or the settings as key: value lines (behind, rate)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.ParseFile("c.yaml", []byte(tt.yaml), secrets, time.Hour)
			if len(tt.errs) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.errs)
				}
				if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.errs) {
					t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.errs, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Storm != tt.want {
				t.Errorf("storm %+v, want %+v", f.Storm, tt.want)
			}
		})
	}
}
