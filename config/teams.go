package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"caredesk/bot"
	"caredesk/route"
)

// Team is one desk of a caredesk that serves several: its own channel,
// and its own hours, promises, escalation and rota where the file gives
// them; the top level's where it does not.
type Team struct {
	// Name is how people type the team: "/desk move 12 ro-care",
	// "/rota.ics?team=ro-care".
	Name string
	// Channel is the id of the team's desk channel: a Slack channel id
	// (C…, G…) or a Discord channel id (digits).
	Channel string
	// Calendar is the team's business hours and holidays, in its zone.
	Calendar bot.Calendar
	// SLA is the team's promise for every source without its own.
	SLA bot.SLA
	// SourceSLA is the team's promise by source name, like SourceSLA of
	// File; a team that gives no sla section has the top level's.
	SourceSLA map[string]bot.SLA
	// Escalation says who is told when one of the team's tickets waits.
	Escalation bot.Escalation
	// Rota is who is on duty for the team: its own when the team gives
	// one, else the top level's.
	Rota bot.Rota
}

// SLAFor is the team's promise for a source's tickets.
func (t Team) SLAFor(source string) bot.SLA {
	if s, ok := t.SourceSLA[source]; ok {
		return s
	}
	return t.SLA
}

// Router returns what decides which team owns a new complaint, by its
// source, its language ("" when unknown) and its first message's text,
// with the reason in a few words; nil without teams.
func (f File) Router() func(source, language, text string) (team, why string) {
	if len(f.Teams) == 0 || f.router == nil {
		return nil
	}
	r := f.router
	return func(source, language, text string) (string, string) {
		d := r.Route(route.Complaint{Source: source, Language: language, Text: text})
		return d.Team, d.Why
	}
}

// A team's name and channel; a Slack channel id is slackChannel, as for
// SLACK_CHANNEL_ID.
var (
	teamName  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	discordID = regexp.MustCompile(`^[0-9]{15,20}$`)
)

// teamBase is the top level as a team starts from: a copy that shares
// nothing a team's readers write into.
func teamBase(f File) File {
	f.Calendar.Holidays = maps.Clone(f.Calendar.Holidays)
	for d := range f.Calendar.Hours {
		f.Calendar.Hours[d] = slices.Clone(f.Calendar.Hours[d])
	}
	f.SourceSLA = maps.Clone(f.SourceSLA)
	f.Escalation.Reminders = slices.Clone(f.Escalation.Reminders)
	f.Rota = cloneRota(f.Rota)
	return f
}

func cloneRota(r bot.Rota) bot.Rota {
	r.Rotations = slices.Clone(r.Rotations)
	for i := range r.Rotations {
		r.Rotations[i].Members = slices.Clone(r.Rotations[i].Members)
	}
	r.Overrides = slices.Clone(r.Overrides)
	return r
}

// teams reads the desks of a caredesk that serves several:
//
//	teams:
//	  - name: tr-care
//	    channel: C0TRCARE
//	    timezone: Europe/Istanbul
//	    business_hours: {mon-fri: 09:00-18:00}
//	    holidays: [2026-12-31]
//	    sla: {first_response: 1h}
//	    escalation: {unclaimed_after: 15m}
//	    rota: {rotations: […], overrides: […]}
//	    lead: U0LEADTR          # escalation.lead, shorter
//
// Every setting a team leaves out is the top level's; a team's rota
// replaces the top level's entirely.
func (p *parser) teams(n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.fail(n, path, "expected a list of teams, each with name and channel, like \"- {name: tr-care, channel: C0TRCARE}\"")
		return
	}
	names := map[string]string{}    // team name → the path of the team that has it
	channels := map[string]string{} // channel → the team that has it, by name or path
	for i, t := range n.Content {
		tp := fmt.Sprintf("%s[%d]", path, i)
		if t.Kind != yaml.MappingNode {
			p.fail(t, tp, "expected a team's settings (name, channel, …) here")
			continue
		}
		team, nameAt, channelAt := p.team(t, tp)
		switch {
		case nameAt == nil:
			p.fail(t, join(tp, "name"), "a team needs a name, like tr-care: people type it in /desk move 12 tr-care")
		case !teamName.MatchString(team.Name):
			p.fail(nameAt, join(tp, "name"), "%q cannot be a team name: use lowercase letters, digits, - and _, at most 40, starting with a letter (it is typed after a ticket number, in /desk move 12 NAME and in /rota.ics?team=NAME)", team.Name)
		case names[team.Name] != "":
			p.fail(nameAt, join(tp, "name"), "%q is the name of %s too; each team needs its own name", team.Name, names[team.Name])
		}
		if team.Name != "" && names[team.Name] == "" {
			names[team.Name] = tp
		}
		who := tp
		if team.Name != "" {
			who = fmt.Sprintf("team %q", team.Name)
		}
		switch {
		case channelAt == nil:
			p.fail(t, join(tp, "channel"), "a team needs channel, the id of its desk channel: Slack channel details → copy the channel ID (C…), or on Discord the channel's id")
		case !slackChannel.MatchString(team.Channel) && !discordID.MatchString(team.Channel):
			p.fail(channelAt, join(tp, "channel"), "%q is not a channel id: write a Slack channel id like C024BE91L (channel details → copy the channel ID) or a Discord channel id, 15 to 20 digits (right-click the channel → Copy Channel ID)", channelAt.Value)
		case p.discordDesk() && !discordID.MatchString(team.Channel):
			p.fail(channelAt, join(tp, "channel"), "%s is a Slack channel id, and the desk is Discord (DISCORD_DESK_CHANNEL_ID is set): write the id of the team's Discord channel (right-click the channel → Copy Channel ID)", team.Channel)
		case !p.discordDesk() && !slackChannel.MatchString(team.Channel):
			p.fail(channelAt, join(tp, "channel"), "%s is a Discord channel id, and the desk is Slack (DISCORD_DESK_CHANNEL_ID is not set): write the id of the team's Slack channel, like C0123ABCD (open the channel's details; the ID is at the bottom)", team.Channel)
		case channels[team.Channel] != "":
			p.fail(channelAt, join(tp, "channel"), "%s is the channel of %s too; each team needs its own channel", team.Channel, channels[team.Channel])
		default:
			channels[team.Channel] = who
		}
		p.f.Teams = append(p.f.Teams, team)
	}
}

// discordDesk reports whether the desk is Discord, as the settings say:
// a team's channel must be of the desk's kind.
func (p *parser) discordDesk() bool {
	return p.getenv != nil && strings.TrimSpace(p.getenv("DISCORD_DESK_CHANNEL_ID")) != ""
}

// team reads one team with a parser of its own that starts from the top
// level, so that what the team leaves out is the top level's; its
// problems join the file's. It returns where the name and the channel
// are, nil for none.
func (p *parser) team(n *yaml.Node, path string) (t Team, nameAt, channelAt *yaml.Node) {
	q := &parser{name: p.name, getenv: p.getenv, f: teamBase(p.f)}
	sections := map[string]func(*yaml.Node, string){
		"timezone":       q.timezone,
		"business_hours": q.businessHours,
		"holidays":       q.holidays,
		"sla":            q.sla,
		"escalation":     q.escalation,
		"lead":           func(v *yaml.Node, path string) { q.f.Escalation.Lead = q.agent(v, path) },
		"rota": func(v *yaml.Node, path string) {
			q.f.Rota = bot.Rota{Location: q.f.Location} // the team's own, not added to the top level's
			q.rota(v, path)
		},
		"name":    func(v *yaml.Node, _ string) { t.Name, nameAt = strings.TrimSpace(v.Value), v },
		"channel": func(v *yaml.Node, _ string) { t.Channel, channelAt = strings.TrimSpace(v.Value), v },
	}
	found := map[string]*yaml.Node{}
	q.fields(n, path, keep(sections, found))
	// As at the top level: the zone first, the rota after it; lead after
	// escalation, which it shortens.
	for _, name := range []string{"name", "channel", "timezone", "business_hours", "holidays", "sla", "escalation", "lead", "rota"} {
		if v, ok := found[name]; ok {
			sections[name](v, join(path, name))
		}
	}
	if found["rota"] == nil {
		q.f.Rota = cloneRota(p.f.Rota) // the top level's, in its zone, whatever the team's
	}
	p.problems = append(p.problems, q.problems...)
	t.Calendar = q.f.Calendar
	t.SLA = q.f.SLA
	t.SourceSLA = q.f.SourceSLA
	t.Escalation = q.f.Escalation
	t.Rota = q.f.Rota
	return t, nameAt, channelAt
}

// routes reads which team owns a new complaint; the first route that
// matches wins:
//
//	routes:
//	  - {team: ro-care, language: ro}
//	  - {team: tr-care, source: webhook:sikayet}
//	  - {team: billing, keywords: [fatura, refund, "çift çekim"]}
//
// A route with no source, language or keywords matches every complaint.
func (p *parser) routes(n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list of routes, like \"- {team: ro-care, language: ro}\"")
		return
	}
	var names, valid []string // every team's name; those that can be one, to list
	for _, t := range p.f.Teams {
		if t.Name != "" {
			names = append(names, t.Name)
		}
		if teamName.MatchString(t.Name) && !slices.Contains(valid, t.Name) {
			valid = append(valid, t.Name)
		}
	}
	everything := 0 // the first rule that matches every complaint, counted from 1
	for i, r := range n.Content {
		rp := fmt.Sprintf("%s[%d]", path, i)
		if r.Kind != yaml.MappingNode {
			p.fail(r, rp, "expected a route's settings (team, and source, language or keywords) here")
			continue
		}
		var rule route.Rule
		var teamAt *yaml.Node
		conditions := false
		p.fields(r, rp, map[string]func(*yaml.Node, string){
			"team": func(v *yaml.Node, _ string) { rule.Team, teamAt = strings.TrimSpace(v.Value), v },
			"source": func(v *yaml.Node, path string) {
				conditions = true
				rule.Source = strings.TrimSpace(v.Value)
				if !sourceName.MatchString(rule.Source) {
					p.fail(v, path, "%q is not a source: write telegram, discord, webhook:NAME, feed:NAME, mastodon:NAME or bluesky:NAME", v.Value)
				}
			},
			"language": func(v *yaml.Node, path string) {
				conditions = true
				rule.Language = strings.TrimSpace(v.Value)
				if rule.Language == "" {
					p.fail(v, path, "expected a language, like tr, ro, pl or bg; or leave language out")
				} else if msg := refused(route.Rule{Team: "x", Language: rule.Language}); msg != "" {
					p.fail(v, path, "%s", msg)
				}
			},
			"keywords": func(v *yaml.Node, path string) {
				conditions = true
				rule.Keywords = p.keywords(v, path)
			},
		})
		switch {
		case teamAt == nil || rule.Team == "":
			p.fail(r, join(rp, "team"), "a route needs team, the name of the team whose complaints it picks")
		case len(names) > 0 && !slices.Contains(names, rule.Team):
			p.fail(teamAt, join(rp, "team"), "%q is not a team of this file; the teams are %s", rule.Team, strings.Join(valid, ", "))
		}
		if everything > 0 {
			p.fail(r, rp, "rule %d can never match: rule %d before it matches every complaint (it has no source, language or keywords); move that one last, or give it a condition", i+1, everything)
		} else if !conditions {
			everything = i + 1
		}
		p.f.Routes = append(p.f.Routes, rule)
	}
}

// keywords reads a route's words or phrases, any of which in a
// complaint's first message picks it.
func (p *parser) keywords(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "expected a list of words or phrases, like [fatura, refund, \"çift çekim\"]")
		return nil
	}
	if len(n.Content) == 0 {
		p.fail(n, path, "the list is empty, so the route would match nothing: write at least one word, or leave keywords out")
		return nil
	}
	var out []string
	for i, v := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		if v.Kind != yaml.ScalarNode {
			p.fail(v, sub, "expected a word or a phrase here, not a list or a map")
			continue
		}
		if msg := refused(route.Rule{Team: "x", Keywords: []string{v.Value}}); msg != "" {
			p.fail(v, sub, "%s: write a word or a phrase a customer would type", msg)
			continue
		}
		out = append(out, v.Value)
	}
	return out
}

// refused is why route.New refuses one rule, as a sentence without the
// rule's number; "" when it takes it.
func refused(r route.Rule) string {
	if _, err := route.New([]route.Rule{r}, ""); err != nil {
		return strings.TrimPrefix(err.Error(), "rule 1: ")
	}
	return ""
}

// buildRouter builds the router of the file's teams and routes, once, and
// names the default team.
func (p *parser) buildRouter(routesAt *yaml.Node) {
	if len(p.f.Teams) == 0 {
		return
	}
	named := map[string]bool{}
	for _, r := range p.f.Routes {
		named[r.Team] = true
	}
	p.f.DefaultTeam = p.f.Teams[len(p.f.Teams)-1].Name
	for _, t := range slices.Backward(p.f.Teams) {
		if !named[t.Name] {
			p.f.DefaultTeam = t.Name
			break
		}
	}
	if len(p.problems) > 0 {
		return // the file is refused anyway, and its routes may be broken
	}
	r, err := route.New(p.f.Routes, p.f.DefaultTeam)
	if err != nil { // each rule was checked on its own line; this is a last resort
		at := routesAt
		if at == nil {
			at = &yaml.Node{}
		}
		p.fail(at, "routes", "%v", strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	p.f.router = r
}
