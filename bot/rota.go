package bot

import (
	"fmt"
	"slices"
	"time"
)

// Layer is the line of the rota a shift belongs to: the primary answers
// first; the backup is pinged when the primary does not.
type Layer string

// The layers of the rota.
const (
	Primary Layer = "primary"
	Backup  Layer = "backup"
)

// Length is how a rotation cuts time into shifts.
type Length string

// The lengths of rotation.
const (
	Weekly  Length = "weekly"  // a week, from hand-over to hand-over
	Daily   Length = "daily"   // a day, from hand-over to hand-over
	Weekend Length = "weekend" // once a week, HandoverDay HandoverTime to EndDay EndTime
)

// Rotation hands duty from member to member at a fixed wall-clock moment.
// Its shifts are counted in calendar days, never by dividing durations, so
// a hand-over at Monday 09:00 stays at 09:00 local when the clocks change.
type Rotation struct {
	Name    string
	Layer   Layer
	Members []string // agent ids, in turn order
	Length  Length
	// Weekly: shifts start every HandoverDay at HandoverTime (minutes since
	// midnight). Daily: every day at HandoverTime (HandoverDay ignored).
	// Weekend: a shift from HandoverDay HandoverTime to EndDay EndTime each
	// week (e.g. Friday 18:00 → Monday 09:00); outside it this rotation
	// covers nobody.
	HandoverDay  time.Weekday
	HandoverTime int
	EndDay       time.Weekday
	EndTime      int
	// Start anchors the turn order: the shift that contains Start, or the
	// first one after it, is Members[0]'s.
	Start time.Time
}

// Override puts Agent on duty in Layer for [From, Until), over whatever the
// rotations say: a day off, a swap, someone covering a holiday.
type Override struct {
	ID          int64 // the store's id, to undo it; 0 until stored
	Layer       Layer
	Agent       string
	From, Until time.Time
	Note        string // why, shown to the team
}

// Shift is one person's duty in one layer.
type Shift struct {
	Layer       Layer
	Agent       string
	From, Until time.Time
	Rotation    string // the rotation's name (for a backup that follows from the primary, the primary's); "" for an override
	Override    bool   // an override put Agent here
}

// Rota is who answers out of hours: rotations, and overrides on top.
type Rota struct {
	Location  *time.Location // the zone hand-over times are in; nil means UTC
	Rotations []Rotation
	Overrides []Override // later ones win where they overlap
}

// OnCall is who answers out of hours at one moment.
type OnCall struct {
	Primary, Backup Shift // the zero Shift (Agent "") when nobody
}

// swapDays is how far ahead Swap looks for the shifts to exchange.
const swapDays = 60

// At returns who is on duty at t, each with the whole of their shift (as
// far as overrides leave it to them), so the desk can say "until Monday
// 09:00".
func (r Rota) At(t time.Time) OnCall {
	return OnCall{Primary: r.shiftAt(Primary, t), Backup: r.shiftAt(Backup, t)}
}

// Shifts returns the shifts of layer in [from, to), in order, clipped to
// it, with the overrides applied: an override splits the shift it covers
// into the part before it, the override, and the part after. Time nobody
// covers is left out.
func (r Rota) Shifts(layer Layer, from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	points := r.changes(layer, from, to)
	var out []Shift
	var last duty
	for i, p := range points {
		end := to
		if i+1 < len(points) {
			end = points[i+1]
		}
		d, ok := r.dutyAt(layer, p)
		if !ok {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Until.Equal(p) && d.same(last) {
			out[n-1].Until = end
			continue
		}
		s := Shift{Layer: layer, Agent: d.agent, From: p, Until: end, Override: d.override > 0}
		if d.rotation > 0 {
			s.Rotation = r.Rotations[d.rotation-1].Name
		}
		out = append(out, s)
		last = d
	}
	return out
}

// NextHandover returns the next moment after t at which the primary or the
// backup changes hands: when the scheduler should next tell the team who is
// on duty. A shift that ends with the same person on duty again is no
// hand-over. ok is false when nothing changes within 400 days.
func (r Rota) NextHandover(t time.Time) (time.Time, bool) {
	// Most hand-overs are within a week; look further only when needed.
	for _, days := range []int{8, 64, searchDays} {
		to := t.Add(time.Duration(days) * 24 * time.Hour)
		var next time.Time
		for _, layer := range []Layer{Primary, Backup} {
			if c, ok := firstChange(r.Shifts(layer, t, to), t, to); ok && (next.IsZero() || c.Before(next)) {
				next = c
			}
		}
		if !next.IsZero() {
			return next, true
		}
	}
	return time.Time{}, false
}

// firstChange returns the first moment in (from, to) at which the agent on
// duty changes, going by shifts (as Shifts returns them for [from, to)):
// to someone else, or to nobody.
func firstChange(shifts []Shift, from, to time.Time) (time.Time, bool) {
	agent, end := "", from // who is on duty until end
	for _, s := range shifts {
		if s.From.After(end) && agent != "" {
			return end, true
		}
		if s.Agent != agent && s.From.After(from) {
			return s.From, true
		}
		agent, end = s.Agent, s.Until
	}
	if agent != "" && end.Before(to) {
		return end, true
	}
	return time.Time{}, false
}

// Swap returns the overrides that exchange a's and b's next primary shifts
// (the current one, from now, when they are on duty at now): b covers a's,
// a covers b's. A shift an override already splits is exchanged in its
// parts, leaving the override alone. The overrides are yet to be stored.
func (r Rota) Swap(a, b string, now time.Time) ([]Override, error) {
	if a == b {
		return nil, Errorf(EINVALID, "A swap needs two different people.")
	}
	// A week past the horizon, so that a turn starting just before it is
	// exchanged whole.
	horizon := now.Add(swapDays * 24 * time.Hour)
	shifts := r.Shifts(Primary, now, horizon.Add(7*24*time.Hour))
	ofA, ofB := r.nextTurn(shifts, a, horizon), r.nextTurn(shifts, b, horizon)
	for _, missing := range []struct {
		agent string
		turn  []Shift
	}{{a, ofA}, {b, ofB}} {
		if len(missing.turn) == 0 {
			return nil, Errorf(EINVALID, "%s has no primary shift in the next %d days, so there is nothing to swap.",
				Mention(Agent{ID: missing.agent}), swapDays)
		}
	}
	var out []Override
	cover := func(turn []Shift, by, of string) {
		for _, s := range turn {
			out = append(out, Override{Layer: Primary, Agent: by, From: s.From, Until: s.Until,
				Note: fmt.Sprintf("swap: %s covers %s", by, of)})
		}
	}
	cover(ofA, b, a)
	cover(ofB, a, b)
	return out, nil
}

// nextTurn returns agent's first shift among shifts if it starts before
// horizon, with the later parts of the same turn when an override split it.
func (r Rota) nextTurn(shifts []Shift, agent string, horizon time.Time) []Shift {
	i := slices.IndexFunc(shifts, func(s Shift) bool { return s.Agent == agent })
	if i < 0 || !shifts[i].From.Before(horizon) {
		return nil
	}
	d, _ := r.dutyAt(Primary, shifts[i].From)
	var out []Shift
	for _, s := range shifts[i:] {
		if !s.From.Before(d.until) {
			break
		}
		if s.Agent == agent {
			out = append(out, s)
		}
	}
	return out
}

// shiftAt returns the shift of layer that holds t; the zero Shift if none.
func (r Rota) shiftAt(layer Layer, t time.Time) Shift {
	d, ok := r.dutyAt(layer, t)
	if !ok {
		return Shift{}
	}
	// The shift holding t cannot reach beyond what put its agent there.
	for _, s := range r.Shifts(layer, d.from, d.until) {
		if !t.Before(s.From) && t.Before(s.Until) {
			return s
		}
	}
	return Shift{}
}

// duty is who covers a layer at a moment, and on what grounds: side by
// side, stretches with the same grounds are one shift.
type duty struct {
	agent       string
	override    int       // 1 + the index in Overrides; 0 when a rotation
	rotation    int       // 1 + the index in Rotations; 0 when an override
	n           int       // the rotation's shift number since its anchor
	derived     bool      // a backup that follows from the primary's rotation
	from, until time.Time // the whole of the grounds: the override or the rotation's shift
}

func (d duty) same(o duty) bool {
	return d.agent == o.agent && d.override == o.override && d.rotation == o.rotation &&
		d.n == o.n && d.derived == o.derived
}

// dutyAt returns who covers layer at t: an override, else a rotation of the
// layer, else (for the backup) the member after the primary in the
// primary's rotation.
func (r Rota) dutyAt(layer Layer, t time.Time) (duty, bool) {
	for i := len(r.Overrides) - 1; i >= 0; i-- {
		o := r.Overrides[i]
		if o.Layer == layer && o.Agent != "" && !t.Before(o.From) && t.Before(o.Until) {
			return duty{agent: o.Agent, override: i + 1, from: o.From, until: o.Until}, true
		}
	}
	if d, ok := r.rotationAt(layer, t); ok {
		return d, true
	}
	if layer == Backup {
		return r.derivedBackup(t)
	}
	return duty{}, false
}

// rotationAt returns what the rotations of layer say about t. Where several
// cover it, a weekend-only one wins, being the specific one; otherwise the
// first in the list.
func (r Rota) rotationAt(layer Layer, t time.Time) (duty, bool) {
	var found duty
	for i, rot := range r.Rotations {
		if rot.Layer != layer {
			continue
		}
		tn, ok := rot.turnAt(t, r.loc())
		if !ok {
			continue
		}
		if found.rotation == 0 || rot.Length == Weekend && r.Rotations[found.rotation-1].Length != Weekend {
			found = duty{agent: tn.agent, rotation: i + 1, n: tn.n, from: tn.from, until: tn.until}
		}
	}
	return found, found.rotation > 0
}

// derivedBackup is the backup when nothing names one: the member after the
// primary in the primary's rotation, for the same shift, skipping whoever
// is primary now (after a swap, that may be the next member).
func (r Rota) derivedBackup(t time.Time) (duty, bool) {
	p, ok := r.rotationAt(Primary, t)
	if !ok {
		return duty{}, false
	}
	members := r.Rotations[p.rotation-1].Members
	if len(members) < 2 {
		return duty{}, false
	}
	primary, _ := r.dutyAt(Primary, t)
	// Round to the member whose shift it is: free when someone covers it.
	for i := 1; i <= len(members); i++ {
		if m := members[floorMod(p.n+i, len(members))]; m != primary.agent && m != "" {
			return duty{agent: m, rotation: p.rotation, n: p.n, derived: true, from: p.from, until: p.until}, true
		}
	}
	return duty{}, false
}

// changes returns the moments in [from, to) at which layer's duty may
// change, in order, starting with from: where overrides and shifts begin
// and end. The backup also changes with the primary it may follow from.
func (r Rota) changes(layer Layer, from, to time.Time) []time.Time {
	points := []time.Time{from}
	add := func(t time.Time) {
		if t.After(from) && t.Before(to) {
			points = append(points, t)
		}
	}
	in := func(l Layer) bool { return l == layer || layer == Backup && l == Primary }
	for _, o := range r.Overrides {
		if in(o.Layer) {
			add(o.From)
			add(o.Until)
		}
	}
	for _, rot := range r.Rotations {
		if !in(rot.Layer) || rot.days() == 0 {
			continue
		}
		for day := rot.startDay(from, r.loc()); ; day = day.AddDate(0, 0, rot.days()) {
			tn := rot.turnOn(day, r.loc())
			if !tn.from.Before(to) {
				break
			}
			add(tn.from)
			add(tn.until)
		}
	}
	slices.SortFunc(points, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(points, time.Time.Equal)
}

func (r Rota) loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// turn is one shift of a rotation.
type turn struct {
	n           int // shifts since the anchor's; negative before it
	agent       string
	from, until time.Time
}

// days returns how many days lie between the starts of two shifts; 0 for a
// length caredesk does not know, which covers nobody.
func (rot Rotation) days() int {
	switch rot.Length {
	case Daily:
		return 1
	case Weekly, Weekend:
		return 7
	}
	return 0
}

// startDay returns the local date of the last shift start at or before t.
func (rot Rotation) startDay(t time.Time, loc *time.Location) time.Time {
	day, back := dateIn(t, loc), 0
	if rot.Length != Daily {
		back = (int(day.Weekday()) - int(rot.HandoverDay) + 7) % 7
	}
	day = day.AddDate(0, 0, -back)
	if wallTime(day, rot.HandoverTime, loc).After(t) {
		day = day.AddDate(0, 0, -rot.days())
	}
	return day
}

// turnOn returns the shift that starts on the local date day.
func (rot Rotation) turnOn(day time.Time, loc *time.Location) turn {
	tn := turn{from: wallTime(day, rot.HandoverTime, loc), until: rot.turnEnd(day, loc)}
	// Count whole shifts by calendar date, which no clock change stretches.
	anchor := rot.startDay(rot.Start, loc)
	if !rot.Start.Before(rot.turnEnd(anchor, loc)) {
		anchor = anchor.AddDate(0, 0, rot.days())
	}
	tn.n = floorDiv(int((day.Unix()-anchor.Unix())/(24*60*60)), rot.days())
	if len(rot.Members) > 0 {
		tn.agent = rot.Members[floorMod(tn.n, len(rot.Members))]
	}
	return tn
}

// turnEnd returns the end of the shift that starts on day: the next
// shift's start, or for a weekend rotation the first EndDay EndTime after
// the start.
func (rot Rotation) turnEnd(day time.Time, loc *time.Location) time.Time {
	if rot.Length != Weekend {
		return wallTime(day.AddDate(0, 0, rot.days()), rot.HandoverTime, loc)
	}
	ahead := (int(rot.EndDay) - int(rot.HandoverDay) + 7) % 7
	if ahead == 0 && rot.EndTime <= rot.HandoverTime {
		ahead = 7
	}
	return wallTime(day.AddDate(0, 0, ahead), rot.EndTime, loc)
}

// turnAt returns the shift that holds t, if the rotation covers t at all.
func (rot Rotation) turnAt(t time.Time, loc *time.Location) (turn, bool) {
	if rot.days() == 0 || len(rot.Members) == 0 {
		return turn{}, false
	}
	tn := rot.turnOn(rot.startDay(t, loc), loc)
	return tn, t.Before(tn.until) && tn.agent != ""
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
