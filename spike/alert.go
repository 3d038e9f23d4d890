package spike

import "time"

// calmShare is how far under the spike threshold a reading must fall for a
// spike to end: under 0.8 of Factor×Usual, or under 0.8 of Min. A surge hovering at the threshold
// would otherwise post "spike", "calming down", "spike" every few
// minutes; between 0.8 and 1 of the threshold a spike goes on and a calm
// source stays calm.
const calmShare = 0.8

// State is what the alerts of one source remember between readings. The
// caller keeps it, as JSON if it likes, and hands it back to Step.
//
// Zero times and counts are left out of the JSON (omitzero, since
// omitempty never leaves out a time.Time), so a calm source that never
// had a spike is {}.
type State struct {
	// Since is when the present spike was noticed; zero when calm.
	Since time.Time `json:"since,omitzero"`
	// Alerted is when the last alert was posted, kept while calm for the
	// cool-down.
	Alerted time.Time `json:"alerted,omitzero"`
	// Peak is the highest count of the present spike or, once calm, of the
	// last one, for the message that says it is calming down.
	Peak int `json:"peak,omitzero"`
}

// Event is what a reading asks the desk to post.
type Event int

const (
	// None asks for nothing.
	None Event = iota
	// Spike asks to post an alert: complaints are surging.
	Spike
	// Calm asks to post that the surge is calming down.
	Calm
)

// String names e for logs.
func (e Event) String() string {
	switch e {
	case None:
		return "none"
	case Spike:
		return "spike"
	case Calm:
		return "calm"
	}
	return "event(?)"
}

// Step moves s by the reading r, and says what to post.
//
// A calm source starts a spike at the first reading that is Over: a Spike
// event. Within p.CoolDown of the last alert, a surge no bigger than that
// alert's peak is not announced again (the desk has just heard of this
// source; it is not news), while a bigger one is. A spike ends, with a Calm
// event, at the first reading under 0.8 of p.Min or of p.Factor×Usual:
// a surge hovering at the threshold goes on, rather than posting "calming
// down" and a new alert every few minutes. Every announced spike ends with
// its Calm, and nothing is resumed silently, so what the desk read is what
// happened.
func Step(s State, r Reading, p Policy) (State, Event) {
	now := r.Until
	if s.Since.IsZero() {
		if !r.Over {
			return s, None
		}
		if !s.Alerted.IsZero() && now.Sub(s.Alerted) < p.CoolDown && r.Count <= s.Peak {
			return s, None
		}
		return State{Since: now, Alerted: now, Peak: r.Count}, Spike
	}
	s.Peak = max(s.Peak, r.Count)
	if float64(r.Count) >= calmShare*float64(p.Min) && float64(r.Count) >= calmShare*p.Factor*r.Usual {
		return s, None
	}
	s.Since = time.Time{}
	return s, Calm
}
