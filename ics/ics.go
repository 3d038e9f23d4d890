// Package ics renders caredesk's on-call rota as an iCalendar feed (RFC
// 5545), served at GET /rota.ics, so that every agent can subscribe in
// their own calendar app and see their shifts in their own time zone.
package ics

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"caredesk/bot"
)

// stamp is the UTC date-time form: calendar apps convert it to each
// reader's zone, so a rota in Istanbul shows a member in Warsaw her own
// local time, across either city's clock changes, without VTIMEZONE blocks.
const stamp = "20060102T150405Z"

// refresh is how often subscribers are asked to fetch the feed again:
// overrides and swaps change the rota at short notice.
const refresh = "PT1H"

// Feed returns the iCalendar text of shifts: one event per shift, named
// "On call (primary): Alice", with names mapping agent ids to the names
// people know (an id without a name is shown as it is). now is the feed's
// DTSTAMP.
//
// An event's UID comes from the shift's layer, agent and start, so that a
// calendar app updates an event whose end moved (an override cut the shift
// short) rather than showing it twice. A shift clipped by the window it
// was taken from starts at the window's edge and so gets a new UID each
// time the window moves: take shifts from a hand-over (the current shift's
// From) onwards.
func Feed(name string, shifts []bot.Shift, names map[string]string, now time.Time) []byte {
	var w writer
	w.line("BEGIN:VCALENDAR")
	w.line("VERSION:2.0")
	w.line("PRODID:-//caredesk//rota//EN")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:PUBLISH")
	w.line("X-WR-CALNAME:" + text(name))
	w.line("REFRESH-INTERVAL;VALUE=DURATION:" + refresh)
	w.line("X-PUBLISHED-TTL:" + refresh)
	for _, s := range shifts {
		if s.Agent == "" || !s.From.Before(s.Until) {
			continue
		}
		who := names[s.Agent]
		if who == "" {
			who = s.Agent
		}
		w.line("BEGIN:VEVENT")
		w.line("UID:" + uid(s))
		w.line("DTSTAMP:" + now.UTC().Format(stamp))
		w.line("DTSTART:" + s.From.UTC().Format(stamp))
		w.line("DTEND:" + s.Until.UTC().Format(stamp))
		w.line("SUMMARY:" + text("On call ("+string(s.Layer)+"): "+who))
		switch {
		case s.Override:
			w.line("DESCRIPTION:" + text("Covering by override."))
		case s.Rotation != "":
			w.line("DESCRIPTION:" + text("Rotation: "+s.Rotation+"."))
		}
		// Being on call is no meeting: it should not mark the agent busy.
		w.line("TRANSP:TRANSPARENT")
		w.line("END:VEVENT")
	}
	w.line("END:VCALENDAR")
	return []byte(w.String())
}

// uid is a shift's stable identity: the same layer, agent and start give
// the same UID in every version of the feed. Hashed, since agent ids may
// hold characters a UID should not.
func uid(s bot.Shift) string {
	sum := sha256.Sum256([]byte(string(s.Layer) + "\x00" + s.Agent + "\x00" + s.From.UTC().Format(stamp)))
	return hex.EncodeToString(sum[:16]) + "@caredesk"
}

// textEscaper escapes a TEXT value (RFC 5545, 3.3.11). "\r\n" comes before
// "\r" so that a Windows line break becomes one \n, not two.
var textEscaper = strings.NewReplacer(`\`, `\\`, `;`, `\;`, `,`, `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// text returns s as an iCalendar TEXT value: escaped, and without the
// control characters TEXT may not hold.
func text(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return textEscaper.Replace(s)
}

// writer writes content lines ended by CRLF and folded at 75 octets (RFC
// 5545, 3.1), never inside a UTF-8 sequence.
type writer struct{ strings.Builder }

func (w *writer) line(l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		w.WriteString(l[:cut])
		w.WriteString("\r\n ") // the space that marks a continuation counts
		l = l[cut:]
		limit = 74
	}
	w.WriteString(l)
	w.WriteString("\r\n")
}
