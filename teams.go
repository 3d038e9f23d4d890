package main

import (
	"caredesk/bot"
	"caredesk/config"
)

// teams turns the file's teams into the core's.
func teams(f config.File) []bot.Team {
	var out []bot.Team
	for _, t := range f.Teams {
		out = append(out, bot.Team{
			Name: t.Name, Channel: t.Channel, SLA: t.SLAFor,
			Calendar: t.Calendar, Rota: t.Rota, Escalation: t.Escalation,
		})
	}
	return out
}

// teamChannels is the teams' desk channels, by id with the team's name,
// for the desk to check at start and to listen to.
func teamChannels(f config.File) map[string]string {
	out := map[string]string{}
	for _, t := range f.Teams {
		out[t.Channel] = t.Name
	}
	return out
}
