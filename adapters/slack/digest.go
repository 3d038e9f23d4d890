package slack

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/outside"
)

var _ bot.Digester = (*Desk)(nil)

// digestEvent is the metadata type of a storm digest post.
const digestEvent = "caredesk_digest"

// DigestSize is 49: a digest is a context block and one section per
// complaint, its Claim button beside it, within Slack's 50 blocks.
func (d *Desk) DigestSize() int { return maxBlocks - 1 }

// PostDigest posts g in its channel and returns the post's ts.
func (d *Desk) PostDigest(ctx context.Context, g bot.Digest) (string, error) {
	blocks, fallback := d.digestMessage(g)
	_, ts, err := d.post(ctx, d.or(g.Channel),
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
			EventType:    digestEvent,
			EventPayload: map[string]any{"digest": g.ID, "created": g.Created.UnixMilli()},
		}),
	)
	if err != nil {
		return "", deliveryError("chat.postMessage", err)
	}
	return ts, nil
}

// UpdateDigest edits g's post to show its lines as they are now.
func (d *Desk) UpdateDigest(ctx context.Context, g bot.Digest) error {
	blocks, fallback := d.digestMessage(g)
	err := d.update(ctx, d.or(g.Channel), g.Ref,
		slackapi.MsgOptionText(fallback, false),
		slackapi.MsgOptionBlocks(blocks...),
	)
	return deliveryError("chat.update", err)
}

// FindDigest looks for g's post among the channel's messages since g was
// created, by the digest's id and creation in its metadata.
func (d *Desk) FindDigest(ctx context.Context, g bot.Digest) (string, error) {
	params := &slackapi.GetConversationHistoryParameters{
		ChannelID: d.or(g.Channel), IncludeAllMetadata: true, Limit: 200,
		Oldest: fmt.Sprintf("%d.000000", g.Created.Add(-time.Minute).Unix()),
	}
	for page := 0; page < 10; page++ {
		h, err := d.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", deliveryError("conversations.history", err)
		}
		for _, m := range h.Messages {
			p := m.Metadata.EventPayload
			id, _ := p["digest"].(float64)
			created, _ := p["created"].(float64)
			if m.Metadata.EventType == digestEvent && int64(id) == g.ID && int64(created) == g.Created.UnixMilli() {
				return m.Timestamp, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = h.ResponseMetaData.NextCursor
	}
	return "", nil
}

// digestMessage renders g: a context line, then a section per complaint
// with its Claim button while nobody owns it.
func (d *Desk) digestMessage(g bot.Digest) (blocks []slackapi.Block, fallback string) {
	title := handlers.DigestTitle(g)
	blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn("*"+escape(title)+"*", false)))
	for _, l := range handlers.NewDigestLines(g, d.opts.HighReach) {
		text := fmt.Sprintf("*#%d* · %s · *%s*", l.Number, escape(l.Network), escape(outside.Line(l.Customer)))
		if b := l.Badge(); b != "" {
			text += " · " + b
		}
		text += " — " + preview(escape(outside.Line(l.Words)), 300)
		if l.Status != "" {
			text += "\n" + safe(d.linksAs(l.Status, "thread"))
		}
		s := section(clip(text, maxSectionText), false)
		if l.Claim != nil {
			e := slackapi.NewButtonBlockElement(actionPrefix+string(l.Claim.Verb), l.Claim.Value, plain(l.Claim.Label))
			e.Style = slackapi.Style(l.Claim.Style)
			s.Accessory = slackapi.NewAccessory(e)
		}
		blocks = append(blocks, s)
	}
	return blocks, escape(title)
}
