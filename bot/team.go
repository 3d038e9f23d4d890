package bot

import (
	"fmt"
	"slices"
	"strings"
)

// Team is a group of agents that owns some of the complaints: its own desk
// channel, hours, promises and rota. A desk without teams is one team, the
// Policy's own fields, with no name.
type Team struct {
	Name string
	// Channel is the desk channel where the team's tickets are posted;
	// "" is the desk's own channel (SLACK_CHANNEL_ID, DISCORD_DESK_CHANNEL_ID).
	Channel    string
	SLA        func(source string) SLA
	Calendar   Calendar
	Rota       Rota
	Escalation Escalation
}

// Router names the team that owns a new complaint, and why in a few words
// for the ticket's root ("language ro (rule 1)"). route.Router is one.
type Router func(source, language, text string) (team, why string)

// maxMoves is how often a ticket may go from team to team: there, and
// back or on when the first move was wrong. More is a ticket nobody
// wants, which a lead should settle.
const maxMoves = 2

// team is the team called name, or the default team when there is none of
// that name (a ticket of the desk before it had teams, or of a team since
// taken out of the file).
func (b *Bot) team(name string) Team {
	p := b.policy
	if len(p.Teams) == 0 {
		return Team{SLA: p.SLA, Calendar: p.Calendar, Rota: p.Rota, Escalation: p.Escalation}
	}
	if t, ok := b.named(name); ok {
		return t
	}
	if t, ok := b.named(p.DefaultTeam); ok {
		return t
	}
	return p.Teams[len(p.Teams)-1] // a DefaultTeam that is none of Teams: the last, as the file's rule has it
}

// named is the team of the file called name.
func (b *Bot) named(name string) (Team, bool) {
	if i := slices.IndexFunc(b.policy.Teams, func(t Team) bool { return t.Name == name }); i >= 0 {
		return b.policy.Teams[i], true
	}
	return Team{}, false
}

// teamOf is the team of a ticket.
func (b *Bot) teamOf(t Ticket) Team { return b.team(t.Team) }

// teams is every team, the single unnamed one on a desk without teams.
func (b *Bot) teams() []Team {
	if len(b.policy.Teams) == 0 {
		return []Team{b.team("")}
	}
	return b.policy.Teams
}

// actionTeam is the team an action is about: the one it names (--team),
// else the team of the channel it was typed in, else the default team.
func (b *Bot) actionTeam(a Action) (Team, error) {
	if a.Team != "" {
		if t, ok := b.named(a.Team); ok {
			return t, nil
		}
		return Team{}, Errorf(ENOTFOUND, "There is no team %q. %s", a.Team, b.teamNames())
	}
	if a.Channel != "" {
		if i := slices.IndexFunc(b.policy.Teams, func(t Team) bool { return t.Channel == a.Channel }); i >= 0 {
			return b.policy.Teams[i], nil
		}
	}
	return b.team(b.policy.DefaultTeam), nil
}

// teamNames is the sentence that lists the teams, for refusals.
func (b *Bot) teamNames() string {
	if len(b.policy.Teams) == 0 {
		return "This desk has no teams."
	}
	var names []string
	for _, t := range b.policy.Teams {
		names = append(names, t.Name)
	}
	return "The teams are " + strings.Join(names, ", ") + "."
}

// openScan bounds how many open tickets are read to find the default
// team's, and to sort the SLA list: a storm's worth.
const openScan = 10_000

// openOf is the team's open tickets, oldest first, at most limit. The
// default team also owns the tickets of no team (filed before the desk had
// teams) and of teams taken out of the file, which the store cannot name,
// so they are sorted out here.
func (b *Bot) openOf(tx Tx, team Team, limit int) ([]Ticket, error) {
	if len(b.policy.Teams) == 0 {
		return tx.OpenTickets(limit)
	}
	if team.Name != b.policy.DefaultTeam {
		return tx.OpenTickets(limit, team.Name)
	}
	all, err := tx.OpenTickets(openScan)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	for _, t := range all {
		if b.teamOf(t).Name == team.Name && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}

// changeTeams is the teams whose rota changes are team's: its own, and
// for the default team those of no team and of teams taken out of the
// file, as rota lays them over its rota.
func (b *Bot) changeTeams(tx Tx, team Team) ([]string, error) {
	changes, err := tx.RotaChanges()
	if err != nil {
		return nil, err
	}
	names := []string{team.Name}
	for _, c := range changes {
		if b.team(c.Team).Name == team.Name && !slices.Contains(names, c.Team) {
			names = append(names, c.Team)
		}
	}
	return names, nil
}

// route files a new ticket with its team.
func (b *Bot) route(t *Ticket) {
	if len(b.policy.Teams) == 0 {
		return
	}
	name, why := b.policy.DefaultTeam, "the default team"
	if b.policy.Route != nil {
		name, why = b.policy.Route(t.Source, t.Language, t.Text)
	}
	team := b.team(name)
	t.Team, t.Channel, t.Routed = team.Name, team.Channel, why
}

// former is where t's thread is now, as a delivery for that thread
// carries it after the ticket moved on (Delivery.Conversation).
func former(t Ticket) string { return t.Channel + " " + t.DeskThread }

// at is t as it was in its former thread.
func (t Ticket) at(former string) Ticket {
	t.Channel, t.DeskThread, _ = strings.Cut(former, " ")
	t.Left = true
	return t
}

// teamLabel is how a notice names a team and its channel.
func teamLabel(t Team) string {
	if t.Channel == "" {
		return t.Name
	}
	return fmt.Sprintf("%s (<#%s>)", t.Name, t.Channel)
}
