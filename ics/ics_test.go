package ics_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need the zones whatever the machine has installed
	"unicode/utf8"

	"caredesk/bot"
	"caredesk/ics"
)

// property is one unfolded content line: its name (parameters left out)
// and its value as written.
type property struct{ name, value string }

// parse reads a feed back the way RFC 5545 says a reader must, failing the
// test wherever the feed breaks the rules: lines end in CRLF, are at most
// 75 octets, are folded with one leading space, never inside a character.
func parse(t *testing.T, feed []byte) []property {
	t.Helper()
	raw := string(feed)
	if !strings.HasSuffix(raw, "\r\n") {
		t.Fatalf("the feed does not end in CRLF: %q", raw[max(0, len(raw)-20):])
	}
	var lines []string
	for i, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d was folded inside a character: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				t.Fatalf("the feed begins with a continuation line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var props []property
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			t.Errorf("not a content line: %q", l)
			continue
		}
		name, _, _ = strings.Cut(name, ";")
		props = append(props, property{name, value})
	}
	return props
}

// unescape reads a TEXT value back, failing on an escape the RFC does not
// allow and on an unescaped comma or semicolon.
func unescape(t *testing.T, v string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			case '\\', ';', ',':
				b.WriteByte(v[i])
			default:
				t.Errorf("%q: no such escape \\%c", v, v[i])
			}
		case c == '\\' || c == ';' || c == ',':
			t.Errorf("%q: unescaped %q", v, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// events returns the properties of each VEVENT, by name.
func events(t *testing.T, props []property) []map[string]string {
	t.Helper()
	var out []map[string]string
	var cur map[string]string
	for _, p := range props {
		switch {
		case p.name == "BEGIN" && p.value == "VEVENT":
			cur = map[string]string{}
		case p.name == "END" && p.value == "VEVENT":
			out = append(out, cur)
			cur = nil
		case cur != nil:
			cur[p.name] = p.value
		}
	}
	return out
}

func load(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	istanbul = load("Europe/Istanbul")
	warsaw   = load("Europe/Warsaw")
	now      = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
)

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFeed(t *testing.T) {
	shifts := []bot.Shift{
		{Layer: bot.Primary, Agent: "U1", From: at(istanbul, "2026-11-02 09:00"), Until: at(istanbul, "2026-11-06 18:00"), Rotation: "weekday"},
		{Layer: bot.Backup, Agent: "U2", From: at(istanbul, "2026-11-02 09:00"), Until: at(istanbul, "2026-11-03 09:00"), Override: true},
		{Layer: bot.Primary, Agent: "", From: at(istanbul, "2026-11-06 18:00"), Until: at(istanbul, "2026-11-09 09:00")}, // nobody: no event
	}
	props := parse(t, ics.Feed("Care desk rota", shifts, map[string]string{"U1": "Alice"}, now))

	if first, last := props[0], props[len(props)-1]; first != (property{"BEGIN", "VCALENDAR"}) || last != (property{"END", "VCALENDAR"}) {
		t.Errorf("the feed runs from %v to %v", first, last)
	}
	head := map[string]string{}
	for _, p := range props[:8] {
		head[p.name] = p.value
	}
	for name, want := range map[string]string{"VERSION": "2.0", "PRODID": "-//caredesk//rota//EN", "X-WR-CALNAME": "Care desk rota"} {
		if head[name] != want {
			t.Errorf("%s:%s, want %s", name, head[name], want)
		}
	}

	evs := events(t, props)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	want := []map[string]string{
		{"DTSTAMP": "20261101T120000Z", "DTSTART": "20261102T060000Z", "DTEND": "20261106T150000Z", "SUMMARY": "On call (primary): Alice"},
		{"DTSTAMP": "20261101T120000Z", "DTSTART": "20261102T060000Z", "DTEND": "20261103T060000Z", "SUMMARY": "On call (backup): U2"},
	}
	for i, ev := range evs {
		for name, value := range want[i] {
			if got := ev[name]; got != value {
				t.Errorf("event %d: %s:%s, want %s", i, name, got, value)
			}
		}
		if !strings.HasSuffix(ev["UID"], "@caredesk") {
			t.Errorf("event %d: UID %q", i, ev["UID"])
		}
	}
	if evs[0]["UID"] == evs[1]["UID"] {
		t.Error("two shifts share a UID")
	}
}

func TestFeedUIDIsStable(t *testing.T) {
	from, until := at(istanbul, "2026-11-02 09:00"), at(istanbul, "2026-11-09 09:00")
	base := bot.Shift{Layer: bot.Primary, Agent: "U1", From: from, Until: until}
	uidOf := func(s bot.Shift, now time.Time) string {
		evs := events(t, parse(t, ics.Feed("rota", []bot.Shift{s}, nil, now)))
		return evs[0]["UID"]
	}
	want := uidOf(base, now)
	shorter := base
	shorter.Until = until.Add(-24 * time.Hour) // an override took its last day
	if got := uidOf(shorter, now.Add(time.Hour)); got != want {
		t.Errorf("the same shift, cut short, an hour later: UID %s, want %s", got, want)
	}
	inUTC := base
	inUTC.From = from.UTC()
	if got := uidOf(inUTC, now); got != want {
		t.Errorf("the same start in another zone: UID %s, want %s", got, want)
	}
	for name, s := range map[string]bot.Shift{
		"another start": {Layer: bot.Primary, Agent: "U1", From: from.Add(time.Hour), Until: until},
		"another agent": {Layer: bot.Primary, Agent: "U2", From: from, Until: until},
		"another layer": {Layer: bot.Backup, Agent: "U1", From: from, Until: until},
	} {
		if got := uidOf(s, now); got == want {
			t.Errorf("%s keeps the UID", name)
		}
	}
}

func TestFeedEscapesText(t *testing.T) {
	tests := []struct{ name, escaped string }{
		{"Smith, Alice; \"on call\"", `Smith\, Alice\; "on call"`},
		{`back\slash`, `back\\slash`},
		{"two\nlines", `two\nlines`},
		{"windows\r\nline", `windows\nline`},
		{"bell\a and nul\x00", "bell and nul"},
		{"Zeynep Çelik", "Zeynep Çelik"},
	}
	for _, tt := range tests {
		t.Run(tt.escaped, func(t *testing.T) {
			shifts := []bot.Shift{{Layer: bot.Primary, Agent: "U1", From: now, Until: now.Add(time.Hour)}}
			props := parse(t, ics.Feed(tt.name, shifts, map[string]string{"U1": tt.name}, now))
			var calname string
			for _, p := range props {
				if p.name == "X-WR-CALNAME" {
					calname = p.value
				}
			}
			if calname != tt.escaped {
				t.Errorf("X-WR-CALNAME:%s, want %s", calname, tt.escaped)
			}
			summary := events(t, props)[0]["SUMMARY"]
			if got, want := unescape(t, summary), "On call (primary): "+unescape(t, tt.escaped); got != want {
				t.Errorf("SUMMARY reads back as %q, want %q", got, want)
			}
		})
	}
}

func TestFeedFoldsLongLines(t *testing.T) {
	// Two-octet letters everywhere, so a careless fold would split one.
	name := strings.Repeat("Zespół obsługi klienta — dyżur, ", 8)
	shifts := []bot.Shift{{Layer: bot.Primary, Agent: "U1", From: now, Until: now.Add(time.Hour)}}
	feed := ics.Feed(name, shifts, map[string]string{"U1": name}, now)
	if !strings.Contains(string(feed), "\r\n ") {
		t.Fatal("nothing was folded")
	}
	for _, p := range parse(t, feed) { // checks lengths, CRLF and characters
		if p.name == "X-WR-CALNAME" {
			if got := unescape(t, p.value); got != name {
				t.Errorf("the name unfolds to %q", got)
			}
		}
	}
}

// TestFeedOfARota feeds a Warsaw rota across the clocks going back: the
// hand-over stays at 09:00 in Warsaw, which is 07:00 UTC in summer and
// 08:00 UTC in winter.
func TestFeedOfARota(t *testing.T) {
	r := bot.Rota{Location: warsaw, Rotations: []bot.Rotation{{
		Name: "weekday", Layer: bot.Primary, Members: []string{"U1", "U2"}, Length: bot.Weekly,
		HandoverDay: time.Monday, HandoverTime: 9 * 60, Start: at(warsaw, "2026-10-19 09:00"),
	}}}
	shifts := r.Shifts(bot.Primary, at(warsaw, "2026-10-19 09:00"), at(warsaw, "2026-11-02 09:00"))
	evs := events(t, parse(t, ics.Feed("rota", shifts, map[string]string{"U1": "Ola", "U2": "Piotr"}, now)))
	want := [][3]string{
		{"20261019T070000Z", "20261026T080000Z", "On call (primary): Ola"},
		{"20261026T080000Z", "20261102T080000Z", "On call (primary): Piotr"},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if got := [3]string{ev["DTSTART"], ev["DTEND"], ev["SUMMARY"]}; got != want[i] {
			t.Errorf("event %d: %v, want %v", i, got, want[i])
		}
	}
}
