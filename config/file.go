package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"caredesk/bot"
	"caredesk/route"
)

// File is what the YAML file named by CAREDESK_CONFIG says: the team's
// hours, promises, rota and extra sources. Every part is optional.
type File struct {
	Location   *time.Location
	Calendar   bot.Calendar
	SLA        bot.SLA            // for every source without its own
	SourceSLA  map[string]bot.SLA // by source name: "telegram", "webhook:twitter"
	Escalation bot.Escalation
	Rota       bot.Rota
	People     map[string]string // agent id → name, for the calendar feed
	Webhooks   []Webhook
	// Listeners are the sources caredesk polls itself: feeds, Mastodon
	// and Bluesky accounts.
	Listeners []Listener
	HighReach int
	Rating    bot.RatingPolicy // when customers are asked how it went (csat)
	Digest    bot.DigestPolicy // when the desk posts its figures (reports)
	// Spikes is when the desk is told that complaints are surging, and
	// who is told in person (spikes).
	Spikes Spikes
	// Storm is when new complaints are listed in digest posts instead of
	// a thread each (storm): a Behind of 0 is "storm: off". Its Rate is
	// also the pace of the Slack desk's posts.
	Storm bot.StormPolicy
	// Language is the team's: customers whose language caredesk cannot
	// match are answered in it.
	Language string
	// Messages are the team's own words for what caredesk says to
	// customers, by language; Cliches more stock phrases.
	Messages map[string]map[bot.Phrase]string
	Cliches  map[string][]string
	// Customer is how caredesk speaks to customers; its Voice is set by
	// the caller from Voice().
	Customer bot.CustomerPolicy
	// Files is how much caredesk keeps of files, and for how long.
	Files bot.FilePolicy
	// Teams are the desks of one caredesk, each with its own channel;
	// none for a single desk, which is the file's top level. What a team
	// does not set is the top level's.
	Teams []Team
	// Routes decide which team owns a new complaint: the first that
	// matches wins.
	Routes []route.Rule
	// DefaultTeam owns what no route matches: the last team no route
	// names, or the last team when routes name them all; "" without teams.
	DefaultTeam string

	ratingWords map[bot.Phrase]string // csat's question and follow-up, when the file set them
	router      *route.Router         // Routes, built once the file is read; nil without teams
}

// Webhook is one source that reaches caredesk through signed HTTP.
type Webhook struct {
	Name      string // in the URL: /hooks/{name}
	Display   string // how people call the network: "X (Twitter)"
	SecretEnv string // the variable holding the signing secret
	Secret    string // its value, read at start
	ReplyURL  string // where the owner's replies are POSTed; "" for none
	// FetchAttachments makes caredesk download the complaint's
	// attachment addresses and show the files in the thread, instead of
	// links; only http(s) addresses of public hosts are fetched.
	FetchAttachments bool
	// SilenceAlarm is how long the source may bring no complaint before
	// the desk channel is told it may have stopped; 0 for never.
	SilenceAlarm time.Duration
}

// defaultFile is what caredesk assumes without a file.
func defaultFile(sla time.Duration) File {
	return File{
		Location:   time.UTC,
		Calendar:   bot.DefaultCalendar(time.UTC),
		SLA:        bot.SLA{FirstResponse: sla},
		SourceSLA:  map[string]bot.SLA{},
		Escalation: bot.DefaultEscalation(),
		Rota:       bot.Rota{Location: time.UTC},
		People:     map[string]string{},
		HighReach:  10_000,
		Rating:     bot.DefaultRatingPolicy(),
		Digest:     bot.DefaultDigestPolicy(),
		Language:   "en",
		Customer:   bot.DefaultCustomerPolicy(),
		Files:      bot.DefaultFilePolicy(),
		Spikes:     defaultSpikes(),
		Storm:      bot.DefaultStormPolicy(),
	}
}

// SLAFor is the promise for a source's tickets.
func (f File) SLAFor(source string) bot.SLA {
	if s, ok := f.SourceSLA[source]; ok {
		return s
	}
	return f.SLA
}

// LoadFile reads the YAML file at path. Problems are reported all at once,
// one per line, each naming the line and the setting, like
// "caredesk.yaml:12: rota.rotations[0].handover: …". getenv reads the
// secrets the file names by variable.
func LoadFile(path string, getenv func(string) string, sla time.Duration) (File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("CAREDESK_CONFIG names %s, which cannot be read (%v): fix the path or unset CAREDESK_CONFIG", path, errors.Unwrap(err))
	}
	return ParseFile(filepath.Base(path), data, getenv, sla)
}

// ParseFile is LoadFile for data already read; name is used in messages.
func ParseFile(name string, data []byte, getenv func(string) string, sla time.Duration) (File, error) {
	p := &parser{name: name, getenv: getenv, f: defaultFile(sla)}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return File{}, fmt.Errorf("%s:%s: %s: fix the YAML syntax", name, m[1], m[2])
		}
		return File{}, fmt.Errorf("%s: %s: fix the YAML syntax", name, msg)
	}
	if len(doc.Content) > 0 {
		p.top(doc.Content[0])
	}
	if len(p.problems) > 0 {
		return File{}, errors.New(strings.Join(p.problems, "\n"))
	}
	return p.f, nil
}

// parser walks the document, collecting every problem with its position.
type parser struct {
	languageAt *yaml.Node // where the file says the team's language
	name       string
	getenv     func(string) string
	f          File
	problems   []string
}

func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s: %s", p.name, n.Line, path, fmt.Sprintf(format, args...)))
}

// fields calls each known key's reader and reports unknown keys.
func (p *parser) fields(n *yaml.Node, path string, known map[string]func(v *yaml.Node, path string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "expected settings (key: value lines) here")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		read, ok := known[k.Value]
		if !ok {
			names := make([]string, 0, len(known))
			for name := range known {
				names = append(names, name)
			}
			slices.Sort(names)
			p.fail(k, sub, "unknown setting; the settings here are %s", strings.Join(names, ", "))
			continue
		}
		read(v, sub)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *parser) top(n *yaml.Node) {
	sections := map[string]func(*yaml.Node, string){
		"timezone":       p.timezone,
		"business_hours": p.businessHours,
		"holidays":       p.holidays,
		"sla":            p.sla,
		"escalation":     p.escalation,
		"rota":           p.rota,
		"people":         p.people,
		"sources":        p.sources,
		"high_reach":     func(v *yaml.Node, path string) { p.f.HighReach = p.count(v, path) },
		"csat":           p.csat,
		"reports":        p.reports,
		"spikes":         p.spikes,
		"storm":          p.storm,
		"language":       p.language,
		"customers":      p.customers,
		"messages":       p.messages,
		"cliches":        p.cliches,
		"files":          p.files,
		"teams":          p.teams,
		"routes":         p.routes,
	}
	found := map[string]*yaml.Node{}
	p.fields(n, "", keep(sections, found))
	// Read in this order whatever the file's: wall-clock times need the
	// zone, a webhook's sla builds on the sla section, teams build on the
	// whole top level, and routes name teams.
	for _, name := range []string{"timezone", "business_hours", "holidays", "sla", "escalation", "rota", "people", "sources", "high_reach", "language", "csat", "reports", "spikes", "storm", "customers", "messages", "cliches", "files", "teams", "routes"} {
		if v, ok := found[name]; ok {
			sections[name](v, name)
		}
	}
	if found["routes"] != nil && found["teams"] == nil {
		p.fail(keyOf(n, "routes"), "routes", "routes send complaints to teams, and the file has none: add a teams section, or leave routes out")
	}
	p.checkLanguage()
	p.buildRouter(found["routes"])
}

// keyOf is the key node of name in the mapping n, for a problem with the
// whole section.
func keyOf(n *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i]
		}
	}
	return n
}

// keep returns readers that only note where each known section is.
func keep(known map[string]func(*yaml.Node, string), found map[string]*yaml.Node) map[string]func(*yaml.Node, string) {
	out := make(map[string]func(*yaml.Node, string), len(known))
	for name := range known {
		out[name] = func(v *yaml.Node, _ string) { found[name] = v }
	}
	return out
}

func (p *parser) timezone(v *yaml.Node, path string) {
	loc, err := time.LoadLocation(v.Value)
	if err != nil || v.Value == "" {
		p.fail(v, path, "%q is not a time zone: write an IANA name like Europe/Istanbul or America/New_York", v.Value)
		return
	}
	p.f.Location = loc
	p.f.Calendar.Location = loc
	p.f.Rota.Location = loc
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// days reads "mon", "mon-fri" or "sat-sun" (a range may wrap the week).
func days(s string) ([]time.Weekday, bool) {
	from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	a, ok := dayNames[strings.TrimSpace(from)]
	if !ok {
		return nil, false
	}
	if !isRange {
		return []time.Weekday{a}, true
	}
	b, ok := dayNames[strings.TrimSpace(to)]
	if !ok {
		return nil, false
	}
	out := []time.Weekday{a}
	for d := a; d != b; {
		d = (d + 1) % 7
		out = append(out, d)
	}
	return out, true
}

var clockTime = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// minutes reads "09:00" as minutes since midnight; "24:00" is the end of a day.
func minutes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, true
	}
	m := clockTime.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	return h*60 + mm, true
}

func (p *parser) businessHours(n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, `expected days with hours, like "mon-fri: 09:00-18:00"`)
		return
	}
	p.f.Calendar.Hours = [7][]bot.Span{} // the file replaces the default week entirely
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		ds, ok := days(k.Value)
		if !ok {
			p.fail(k, sub, `%q is not a day or a range of days: write mon, tue … sun, or a range like mon-fri`, k.Value)
			continue
		}
		var texts []*yaml.Node
		switch v.Kind {
		case yaml.SequenceNode:
			texts = v.Content
		default:
			texts = []*yaml.Node{v}
		}
		var spans []bot.Span
		for _, t := range texts {
			if strings.EqualFold(strings.TrimSpace(t.Value), "closed") {
				continue
			}
			from, to, _ := strings.Cut(t.Value, "-")
			a, okA := minutes(from)
			b, okB := minutes(to)
			if !okA || !okB || a >= b {
				p.fail(t, sub, `%q is not a span of hours: write it like "09:00-18:00" (or "closed")`, t.Value)
				continue
			}
			spans = append(spans, bot.Span{Start: a, End: b})
		}
		for _, d := range ds {
			p.f.Calendar.Hours[d] = append(p.f.Calendar.Hours[d], spans...)
		}
	}
}

func (p *parser) holidays(n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list of dates, like [2026-12-31, 2027-01-01]")
		return
	}
	p.f.Calendar.Holidays = map[string]bool{}
	for i, v := range n.Content {
		if _, err := time.Parse(time.DateOnly, v.Value); err != nil {
			p.fail(v, fmt.Sprintf("%s[%d]", path, i), "%q is not a date: write it as YYYY-MM-DD", v.Value)
			continue
		}
		p.f.Calendar.Holidays[v.Value] = true
	}
}

func (p *parser) duration(v *yaml.Node, path string) time.Duration {
	if v.Kind != yaml.ScalarNode {
		p.fail(v, path, "a duration is one value, not a list or a map: write it like 30m, 1h, 36h or 7d")
		return 0
	}
	d, err := ParseDuration(strings.TrimSpace(v.Value))
	switch {
	case err != nil:
		p.fail(v, path, "%q is not a duration: write it like 30m, 1h, 36h or 7d", v.Value)
		return 0
	case d <= 0:
		p.fail(v, path, "%q is not longer than nothing: write a positive duration, like 30m, 1h, 36h or 7d", v.Value)
		return 0
	}
	return d
}

func (p *parser) count(v *yaml.Node, path string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v.Value))
	if err != nil || n < 0 {
		p.fail(v, path, "%q is not a whole number of 0 or more", v.Value)
		return 0
	}
	return n
}

func (p *parser) agent(v *yaml.Node, path string) string {
	id := strings.TrimSpace(v.Value)
	if !agentID.MatchString(id) {
		p.fail(v, path, "%q is not a Slack or Discord user id: write the member id, like U024BE7LH (Slack: profile → ⋮ → Copy member ID) or 80351110224678912 (Discord)", v.Value)
	}
	return id
}

var agentID = regexp.MustCompile(`^(?:[UW][A-Z0-9]{2,}|[0-9]{15,20})$`)

// slaFields reads a source's promise on top of base.
func (p *parser) slaFields(n *yaml.Node, path string, base bot.SLA) bot.SLA {
	s := base
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"first_response": func(v *yaml.Node, path string) { s.FirstResponse = p.duration(v, path) },
		"resolution":     func(v *yaml.Node, path string) { s.Resolution = p.duration(v, path) },
		"hours":          func(v *yaml.Node, path string) { s.BusinessHours = p.businessOnly(v, path) },
	})
	return s
}

func (p *parser) businessOnly(v *yaml.Node, path string) bool {
	switch strings.ToLower(strings.TrimSpace(v.Value)) {
	case "always", "24/7":
		return false
	case "business":
		return true
	}
	p.fail(v, path, "%q is neither always nor business: say whether the target counts every hour or business hours only", v.Value)
	return false
}

func (p *parser) sla(n *yaml.Node, path string) {
	var perSource *yaml.Node
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"first_response": func(v *yaml.Node, path string) { p.f.SLA.FirstResponse = p.duration(v, path) },
		"resolution":     func(v *yaml.Node, path string) { p.f.SLA.Resolution = p.duration(v, path) },
		"hours":          func(v *yaml.Node, path string) { p.f.SLA.BusinessHours = p.businessOnly(v, path) },
		"reminders":      func(v *yaml.Node, path string) { p.f.Escalation.Reminders = p.percents(v, path) },
		"sources":        func(v *yaml.Node, _ string) { perSource = v },
	})
	// Sources inherit the defaults, whichever order the section gives them in.
	if perSource == nil {
		return
	}
	sub := join(path, "sources")
	if perSource.Kind != yaml.MappingNode {
		p.fail(perSource, sub, "expected source names with their targets, like \"telegram: {first_response: 1h}\"")
		return
	}
	for i := 0; i+1 < len(perSource.Content); i += 2 {
		k, v := perSource.Content[i], perSource.Content[i+1]
		if !sourceName.MatchString(k.Value) {
			p.fail(k, join(sub, k.Value), "%q is not a source: write telegram, discord, webhook:NAME, feed:NAME, mastodon:NAME or bluesky:NAME", k.Value)
			continue
		}
		p.f.SourceSLA[k.Value] = p.slaFields(v, join(sub, k.Value), p.f.SLA)
	}
}

var sourceName = regexp.MustCompile(`^(?:telegram|discord|(?:webhook|feed|mastodon|bluesky):[a-z0-9][a-z0-9_-]*)$`)

func (p *parser) percents(n *yaml.Node, path string) []int {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list of percentages, like [50, 80]")
		return nil
	}
	var out []int
	for i, v := range n.Content {
		pc, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v.Value), "%"))
		if err != nil || pc <= 0 || pc >= 100 {
			p.fail(v, fmt.Sprintf("%s[%d]", path, i), "%q is not a percentage between 1 and 99", v.Value)
			continue
		}
		out = append(out, pc)
	}
	slices.Sort(out)
	return out
}

func (p *parser) escalation(n *yaml.Node, path string) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"unclaimed_after": func(v *yaml.Node, path string) { p.f.Escalation.UnclaimedAfter = p.duration(v, path) },
		"backup_after":    func(v *yaml.Node, path string) { p.f.Escalation.BackupAfter = p.duration(v, path) },
		"lead":            func(v *yaml.Node, path string) { p.f.Escalation.Lead = p.agent(v, path) },
		"weekend_notice":  func(v *yaml.Node, path string) { p.f.Escalation.WeekendNotice = p.duration(v, path) },
		"reminders":       func(v *yaml.Node, path string) { p.f.Escalation.Reminders = p.percents(v, path) },
	})
}

func (p *parser) people(n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "expected member ids with names, like \"U024BE7LH: alice\"")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p.f.People[p.agent(k, join(path, k.Value))] = strings.TrimSpace(v.Value)
	}
}

// dayTime reads "mon 09:00".
func dayTime(s string) (time.Weekday, int, bool) {
	day, at, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return 0, 0, false
	}
	d, okD := dayNames[strings.ToLower(day)]
	m, okM := minutes(at)
	return d, m, okD && okM && m < 24*60
}

func (p *parser) rota(n *yaml.Node, path string) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"rotations": func(v *yaml.Node, path string) {
			if v.Kind != yaml.SequenceNode {
				p.fail(v, path, "expected a list of rotations")
				return
			}
			for i, r := range v.Content {
				p.rotation(r, fmt.Sprintf("%s[%d]", path, i))
			}
		},
		"overrides": func(v *yaml.Node, path string) {
			if v.Kind != yaml.SequenceNode {
				p.fail(v, path, "expected a list of overrides")
				return
			}
			for i, o := range v.Content {
				p.override(o, fmt.Sprintf("%s[%d]", path, i))
			}
		},
	})
}

func (p *parser) layer(v *yaml.Node, path string) bot.Layer {
	switch l := bot.Layer(strings.ToLower(strings.TrimSpace(v.Value))); l {
	case bot.Primary, bot.Backup:
		return l
	}
	p.fail(v, path, "%q is not a layer: write primary or backup", v.Value)
	return bot.Primary
}

func (p *parser) rotation(n *yaml.Node, path string) {
	r := bot.Rotation{Layer: bot.Primary, Length: bot.Length("weekly")}
	var handover, from, until *yaml.Node
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"name":  func(v *yaml.Node, _ string) { r.Name = v.Value },
		"layer": func(v *yaml.Node, path string) { r.Layer = p.layer(v, path) },
		"length": func(v *yaml.Node, path string) {
			switch l := strings.ToLower(strings.TrimSpace(v.Value)); l {
			case "weekly", "daily", "weekend":
				r.Length = bot.Length(l)
			default:
				p.fail(v, path, "%q is not a length: write weekly, daily or weekend", v.Value)
			}
		},
		"members": func(v *yaml.Node, path string) {
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				p.fail(v, path, "expected a list of at least one member id, in turn order")
				return
			}
			for i, m := range v.Content {
				r.Members = append(r.Members, p.agent(m, fmt.Sprintf("%s[%d]", path, i)))
			}
		},
		"start": func(v *yaml.Node, path string) {
			d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v.Value), p.f.Location)
			if err != nil {
				p.fail(v, path, "%q is not a date: write the first shift's date as YYYY-MM-DD", v.Value)
				return
			}
			r.Start = d
		},
		"handover": func(v *yaml.Node, _ string) { handover = v },
		"from":     func(v *yaml.Node, _ string) { from = v },
		"until":    func(v *yaml.Node, _ string) { until = v },
	})
	if r.Name == "" {
		r.Name = path
	}
	if len(r.Members) == 0 {
		p.fail(n, join(path, "members"), "a rotation needs members: list their user ids in turn order")
	}
	if r.Start.IsZero() {
		p.fail(n, join(path, "start"), "a rotation needs the date its first shift starts, as YYYY-MM-DD, so that everyone can tell whose turn it is")
	}
	switch r.Length {
	case "weekend":
		if from == nil || until == nil {
			p.fail(n, path, `a weekend rotation needs from and until, like from: "fri 18:00" and until: "mon 09:00"`)
			break
		}
		r.HandoverDay, r.HandoverTime = p.dayTime(from, join(path, "from"))
		r.EndDay, r.EndTime = p.dayTime(until, join(path, "until"))
	case "daily":
		if handover == nil {
			p.fail(n, path, `a daily rotation needs handover, the time of day it passes on, like handover: "09:00"`)
			break
		}
		m, ok := minutes(handover.Value)
		if !ok || m >= 24*60 {
			p.fail(handover, join(path, "handover"), `%q is not a time of day: write it like "09:00"`, handover.Value)
		}
		r.HandoverTime = m
	default:
		if handover == nil {
			p.fail(n, path, `a weekly rotation needs handover, the day and time it passes on, like handover: "mon 09:00"`)
			break
		}
		r.HandoverDay, r.HandoverTime = p.dayTime(handover, join(path, "handover"))
	}
	// "start: 2026-11-02" means the first shift begins with that day's
	// hand-over, not the shift that happens to be running at midnight.
	if !r.Start.IsZero() {
		r.Start = time.Date(r.Start.Year(), r.Start.Month(), r.Start.Day(), r.HandoverTime/60, r.HandoverTime%60, 0, 0, p.f.Location)
	}
	p.f.Rota.Rotations = append(p.f.Rota.Rotations, r)
}

func (p *parser) dayTime(v *yaml.Node, path string) (time.Weekday, int) {
	d, m, ok := dayTime(v.Value)
	if !ok {
		p.fail(v, path, `%q is not a day and time: write it like "mon 09:00"`, v.Value)
	}
	return d, m
}

// WallTime reads "2026-12-05T18:00" (or with a space) as a time on the
// team's clock in loc.
func WallTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.Replace(strings.TrimSpace(s), " ", "T", 1)
	t, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
	return t, err == nil
}

func (p *parser) override(n *yaml.Node, path string) {
	o := bot.Override{Layer: bot.Primary}
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"agent": func(v *yaml.Node, path string) { o.Agent = p.agent(v, path) },
		"layer": func(v *yaml.Node, path string) { o.Layer = p.layer(v, path) },
		"note":  func(v *yaml.Node, _ string) { o.Note = v.Value },
		"from": func(v *yaml.Node, path string) {
			t, ok := WallTime(v.Value, p.f.Location)
			if !ok {
				p.fail(v, path, `%q is not a date and time: write it like 2026-12-05T18:00 (the team's time zone)`, v.Value)
			}
			o.From = t
		},
		"until": func(v *yaml.Node, path string) {
			t, ok := WallTime(v.Value, p.f.Location)
			if !ok {
				p.fail(v, path, `%q is not a date and time: write it like 2026-12-06T09:00 (the team's time zone)`, v.Value)
			}
			o.Until = t
		},
	})
	switch {
	case o.Agent == "":
		p.fail(n, join(path, "agent"), "an override needs the agent who covers, as a user id")
	case o.From.IsZero() || o.Until.IsZero():
		p.fail(n, path, "an override needs from and until")
	case !o.Until.After(o.From):
		p.fail(n, join(path, "until"), "until must come after from")
	default:
		p.f.Rota.Overrides = append(p.f.Rota.Overrides, o)
	}
}

var yamlLine = regexp.MustCompile(`^line ([0-9]+): (.*)$`)

var hookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func (p *parser) sources(n *yaml.Node, path string) {
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"webhook": func(v *yaml.Node, path string) {
			if v.Kind != yaml.SequenceNode {
				p.fail(v, path, "expected a list of webhook sources")
				return
			}
			for i, h := range v.Content {
				p.webhook(h, fmt.Sprintf("%s[%d]", path, i))
			}
		},
		KindFeed:     p.listeners(KindFeed),
		KindMastodon: p.listeners(KindMastodon),
		KindBluesky:  p.listeners(KindBluesky),
	})
}

func (p *parser) webhook(n *yaml.Node, path string) {
	var w Webhook
	var sla *yaml.Node
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, path string) {
			if !hookName.MatchString(v.Value) {
				p.fail(v, path, "%q cannot be a source name: use lowercase letters, digits, - and _ (it becomes the URL /hooks/NAME)", v.Value)
			}
			w.Name = v.Value
		},
		"display":    func(v *yaml.Node, _ string) { w.Display = v.Value },
		"secret_env": func(v *yaml.Node, _ string) { w.SecretEnv = strings.TrimSpace(v.Value) },
		"reply_url": func(v *yaml.Node, path string) {
			if w.ReplyURL = strings.TrimSpace(v.Value); w.ReplyURL != "" && !webURL(w.ReplyURL) {
				p.fail(v, path, notURL, v.Value)
			}
		},
		"sla":               func(v *yaml.Node, _ string) { sla = v },
		"fetch_attachments": func(v *yaml.Node, path string) { w.FetchAttachments = p.flag(v, path) },
		"silence_alarm":     p.silenceAlarm(&w.SilenceAlarm),
	})
	switch {
	case w.Name == "":
		p.fail(n, join(path, "name"), "a webhook source needs a name, like twitter")
		return
	case slices.ContainsFunc(p.f.Webhooks, func(o Webhook) bool { return o.Name == w.Name }):
		p.fail(n, join(path, "name"), "%q is used by another webhook source; names must differ", w.Name)
		return
	case w.SecretEnv == "":
		p.fail(n, join(path, "secret_env"), "a webhook source needs secret_env, the environment variable that holds its signing secret, like TWITTER_HOOK_SECRET")
		return
	}
	secret, err := Secret(p.getenv, w.SecretEnv)
	if w.Secret = strings.TrimSpace(secret); err != nil {
		p.fail(n, join(path, "secret_env"), "%s", err)
	} else if len(w.Secret) < 16 {
		p.fail(n, join(path, "secret_env"), "%s must hold the signing secret of source %q, at least 16 characters (e.g. the output of `openssl rand -hex 32`)", w.SecretEnv, w.Name)
	}
	if w.Display == "" {
		w.Display = w.Name
	}
	p.ownSLA("webhook:"+w.Name, sla, path)
	p.f.Webhooks = append(p.f.Webhooks, w)
}

// silenceAlarm reads a source's silence_alarm into dst: "silence_alarm:"
// with nothing is no alarm, as when absent.
func (p *parser) silenceAlarm(dst *time.Duration) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if v.Tag != "!!null" {
			*dst = p.duration(v, path)
		}
	}
}

// ownSLA sets the first-response target of source from its sla key, the
// node sla (nil when the source has none), under the sla section's.
func (p *parser) ownSLA(source string, sla *yaml.Node, path string) {
	if sla == nil {
		return
	}
	s := p.f.SLAFor(source)
	s.FirstResponse = p.duration(sla, join(path, "sla"))
	p.f.SourceSLA[source] = s
}
