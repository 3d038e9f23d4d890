package discord

import (
	"context"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Discord sends a bot's events only to the connections open when they
// happen, and a new session (another replica taking over as leader, or a
// caredesk started again) is not told what the last one missed. So when
// Run connects, it reads over REST what people wrote in the last
// Options.CatchUp in the source channels and in the threads active there
// and on the desk, and handles it as if the gateway had brought it: what
// was handled before is known by its message id and changes nothing.
// Direct messages, reactions and edits of that gap are not read again
// (Discord lists no bot's DM channels).

// catchUpPages bounds the messages read per channel: 10 pages of 100.
const catchUpPages = 10

// catchUp reads the messages written since since and sorts them as the
// gateway's inbox does, each channel's in the order they were written. It
// runs as the inbox's first job, so the gateway's events wait for it.
func (g *gateway) catchUp(ctx context.Context, since time.Time) {
	d := g.d
	after := snowflakeAt(since)
	channels := slices.Clone(d.opts.SourceChannelIDs)
	threads, err := d.s.GuildThreadsActive(d.opts.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		d.log.Warn("could not list the active threads to read what was written while no caredesk listened", "err", describe(err))
	} else {
		for _, th := range threads.Threads {
			d.note(th)
			k := d.kindOf(th)
			// A thread says the id of its latest message: one quiet since
			// costs no call.
			if (k == kindDeskThread || k == kindSourceThread) && (th.LastMessageID == "" || idAfter(th.LastMessageID, after)) {
				channels = append(channels, th.ID)
			}
		}
	}
	read := 0
	for _, ch := range channels {
		n, err := g.catchUpChannel(ctx, ch, after)
		read += n
		if err != nil && ctx.Err() == nil {
			d.log.Warn("could not read what was written while no caredesk listened", "channel", ch, "err", describe(err))
		}
	}
	if read > 0 {
		d.log.Info("read again what was written while no caredesk listened; what was handled before is dropped", "messages", read, "channels", len(channels), "since", since)
	}
}

// catchUpChannel queues the messages of channel after the snowflake after.
func (g *gateway) catchUpChannel(ctx context.Context, channel, after string) (int, error) {
	d := g.d
	read := 0
	for range catchUpPages {
		msgs, err := d.s.ChannelMessages(channel, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return read, err
		}
		// Discord lists the newest first.
		slices.SortFunc(msgs, func(a, b *discordgo.Message) int {
			if idAfter(a.ID, b.ID) {
				return 1
			}
			return -1
		})
		for _, m := range msgs {
			if m.GuildID == "" {
				m.GuildID = d.opts.GuildID // REST leaves it out; the gateway's has it
			}
			if d.byPerson(m) {
				g.sort(ctx, m, created)
				read++
			}
		}
		if len(msgs) < 100 {
			return read, nil
		}
		after = msgs[len(msgs)-1].ID // the newest read
	}
	return read, nil
}
