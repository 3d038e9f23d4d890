package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"caredesk/spike"
)

// Spikes is when the desk channel is told that complaints are surging,
// and who is told in person besides the channel's @here.
type Spikes struct {
	// Policy is how big a surge must be before the desk is told of it.
	Policy spike.Policy
	// Off switches spike alerts off ("spikes: off"); Policy and Ping are
	// then the defaults, and unused.
	Off bool
	// Ping is who gets a direct message with an alert: PingLead,
	// PingOnDuty or agent ids, in the file's order, each once. Empty (not
	// nil) when the file says ping: [], for the channel's @here alone.
	Ping []string
}

// What Spikes.Ping names besides agent ids.
const (
	// PingLead is escalation.lead; nobody when the desk has no lead.
	PingLead = "lead"
	// PingOnDuty is whoever is on the rota when the alert is posted.
	PingOnDuty = "on_duty"
)

// defaultSpikes is spike alerts on, with spike.DefaultPolicy, pinging the
// lead and whoever is on duty.
func defaultSpikes() Spikes {
	return Spikes{Policy: spike.DefaultPolicy(), Ping: []string{PingLead, PingOnDuty}}
}

// The spans a spike window may count.
const (
	minSpikeWindow = 5 * time.Minute
	maxSpikeWindow = 24 * time.Hour
)

// spikes reads when the desk is told of a surge of complaints:
//
//	spikes:
//	  window: 30m      # complaints counted over this much time (5m–24h)
//	  factor: 3        # a spike is this many times the usual count or more
//	  min: 10          # …and at least this many complaints in the window
//	  floor: 3         # the usual count assumed without history
//	  weeks: 4         # weeks of history for the usual count (1–12)
//	  cool_down: 2h    # at most one alert per source in this long (≥ window)
//	  ping: [lead, on_duty, U024BE7LH]
//
// or "spikes: off".
func (p *parser) spikes(n *yaml.Node, path string) {
	s := &p.f.Spikes
	settings, isOff := p.offOrSettings(n, path, "cool_down, factor, floor, min, ping, weeks, window")
	if isOff {
		s.Off = true
	}
	if !settings {
		return
	}
	pol := &s.Policy
	var window, coolDown *yaml.Node // where the file sets them
	windowOK, coolDownOK := true, true
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"window": func(v *yaml.Node, path string) {
			window = v
			d := p.duration(v, path)
			switch {
			case d == 0: // p.duration said why
				windowOK = false
			case d < minSpikeWindow || d > maxSpikeWindow:
				p.fail(v, path, "%q is not a window of 5m to 24h: complaints are counted over a span like 15m, 30m or 1h", v.Value)
				windowOK = false
			default:
				pol.Window = d
			}
		},
		"factor": func(v *yaml.Node, path string) {
			f, ok := number(v)
			if !ok || f <= 1 {
				p.fail(v, path, "%q is not a number above 1: a spike is this many times the usual count, like 2.5 or 3", v.Value)
				return
			}
			pol.Factor = f
		},
		"min": func(v *yaml.Node, path string) {
			m, err := strconv.Atoi(strings.TrimSpace(v.Value))
			if err != nil || m < 1 {
				p.fail(v, path, "%q is not a whole number of 1 or more: a spike needs at least this many complaints in the window", v.Value)
				return
			}
			pol.Min = m
		},
		"floor": func(v *yaml.Node, path string) {
			f, ok := number(v)
			if !ok || f < 0 {
				p.fail(v, path, "%q is not a number of 0 or more: it is the usual count assumed until there are weeks of history, like 3 or 0.5", v.Value)
				return
			}
			pol.Floor = f
		},
		"weeks": func(v *yaml.Node, path string) {
			w, err := strconv.Atoi(strings.TrimSpace(v.Value))
			if err != nil || w < 1 || w > 12 {
				p.fail(v, path, "%q is not a whole number from 1 to 12: it is how many past weeks make the usual count", v.Value)
				return
			}
			pol.Weeks = w
		},
		"cool_down": func(v *yaml.Node, path string) {
			coolDown = v
			if d := p.duration(v, path); d > 0 {
				pol.CoolDown = d
			} else {
				coolDownOK = false
			}
		},
		"ping": func(v *yaml.Node, path string) { s.Ping = p.ping(v, path) },
	})
	// Compared only when both read well: a refused one would only repeat
	// its problem. The defaults agree, so one of them is the file's.
	switch {
	case !windowOK || !coolDownOK || pol.CoolDown >= pol.Window:
	case coolDown != nil:
		p.fail(coolDown, join(path, "cool_down"), "%q is shorter than window (%s): a spike lasts at least a window, so write a cool_down of %s or more", coolDown.Value, FormatDuration(pol.Window), FormatDuration(pol.Window))
	default:
		p.fail(window, join(path, "window"), "%q is longer than cool_down (%s, the default): a spike lasts at least a window, so add a cool_down of %s or more", window.Value, FormatDuration(pol.CoolDown), FormatDuration(pol.Window))
	}
}

// ping reads who gets a direct message with a spike alert: lead, on_duty
// or user ids; each once, in the list's order, never nil.
func (p *parser) ping(n *yaml.Node, path string) []string {
	who := []string{}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list of who gets a direct message, like [lead, on_duty, U024BE7LH]")
		return who
	}
	for i, v := range n.Content {
		id := strings.TrimSpace(v.Value)
		switch k := strings.ToLower(id); {
		case v.Kind != yaml.ScalarNode, k != PingLead && k != PingOnDuty && !agentID.MatchString(id):
			p.fail(v, fmt.Sprintf("%s[%d]", path, i), "%q is neither lead, on_duty nor a Slack or Discord user id: write lead (escalation.lead), on_duty (whoever is on the rota now) or the member id, like U024BE7LH (Slack: profile → ⋮ → Copy member ID) or 80351110224678912 (Discord)", v.Value)
			continue
		case k == PingLead || k == PingOnDuty:
			id = k
		}
		if !slices.Contains(who, id) {
			who = append(who, id)
		}
	}
	return who
}

// number reads a finite decimal number, like 3 or 2.5.
// offOrSettings reads a section that is either "off" or settings (key:
// value lines): isOff for the one, settings for the other, neither (and a
// problem on record) for anything else. keys lists the section's settings
// for the problem's sentence.
func (p *parser) offOrSettings(n *yaml.Node, path, keys string) (settings, isOff bool) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		if off(n) {
			return false, true
		}
		p.fail(n, path, "%q is neither off nor settings: write %s: off, or the settings as key: value lines (%s)", n.Value, path, keys)
		return false, false
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "expected settings (key: value lines) or off here")
		return false, false
	}
	return true, false
}

func number(v *yaml.Node) (float64, bool) {
	if v.Kind != yaml.ScalarNode {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}
