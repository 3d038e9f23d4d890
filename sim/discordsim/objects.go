package discordsim

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Discord's limits that the simulator enforces, so that a bot which breaks
// them fails here as it would in production.
const (
	maxContent          = 2000 // a message's content, in characters
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooter           = 2048
	maxEmbedTotal       = 6000 // every embed's text together
	maxRows             = 5    // action rows of a message
	maxRowComponents    = 5    // buttons of a row
	maxLabel            = 80   // a button's label
	maxCustomID         = 100  // a component's custom_id
	maxAllowedUsers     = 100
)

// validateMessage refuses what Discord refuses of a message create (or,
// with edit, an edit).
func validateMessage(b messageBody, edit bool) *apiError {
	content := ""
	if b.Content != nil {
		content = *b.Content
	}
	if utf8.RuneCountInString(content) > maxContent {
		return invalidForm("content", "Must be 2000 or fewer in length.")
	}
	embeds, e := checkEmbeds(b.Embeds)
	if e != nil {
		return e
	}
	rows, e := checkComponents(b.Components)
	if e != nil {
		return e
	}
	if e := checkAllowed(b.AllowedMentions); e != nil {
		return e
	}
	if !edit && strings.TrimSpace(content) == "" && embeds == 0 && rows == 0 && len(b.StickerIDs) == 0 && len(b.files) == 0 {
		return &apiError{status: 400, code: 50006, msg: "Cannot send an empty message"}
	}
	return nil
}

func checkEmbeds(raw json.RawMessage) (int, *apiError) {
	if !isSet(raw) {
		return 0, nil
	}
	var embeds []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Fields      []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"fields"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
	}
	if json.Unmarshal(raw, &embeds) != nil {
		return 0, invalidForm("embeds", "Must be an array of embeds.")
	}
	if len(embeds) > maxEmbeds {
		return 0, invalidForm("embeds", "Must be 10 or fewer in length.")
	}
	total := 0
	n := utf8.RuneCountInString
	for i, e := range embeds {
		field := fmt.Sprintf("embeds.%d", i)
		switch {
		case n(e.Title) > maxEmbedTitle:
			return 0, invalidForm(field+".title", "Must be 256 or fewer in length.")
		case n(e.Description) > maxEmbedDescription:
			return 0, invalidForm(field+".description", "Must be 4096 or fewer in length.")
		case len(e.Fields) > maxEmbedFields:
			return 0, invalidForm(field+".fields", "Must be 25 or fewer in length.")
		}
		total += n(e.Title) + n(e.Description)
		for j, f := range e.Fields {
			name := fmt.Sprintf("%s.fields.%d", field, j)
			switch {
			case f.Name == "" || n(f.Name) > maxFieldName:
				return 0, invalidForm(name+".name", "Must be between 1 and 256 in length.")
			case f.Value == "" || n(f.Value) > maxFieldValue:
				return 0, invalidForm(name+".value", "Must be between 1 and 1024 in length.")
			}
			total += n(f.Name) + n(f.Value)
		}
		if e.Footer != nil {
			if n(e.Footer.Text) > maxFooter {
				return 0, invalidForm(field+".footer.text", "Must be 2048 or fewer in length.")
			}
			total += n(e.Footer.Text)
		}
	}
	if total > maxEmbedTotal {
		return 0, invalidForm("embeds", "Embed size exceeds maximum size of 6000")
	}
	return len(embeds), nil
}

func checkComponents(raw json.RawMessage) (int, *apiError) {
	if !isSet(raw) {
		return 0, nil
	}
	var rows []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Style    int    `json:"style"`
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
			URL      string `json:"url"`
		} `json:"components"`
	}
	if json.Unmarshal(raw, &rows) != nil {
		return 0, invalidForm("components", "Must be an array of action rows.")
	}
	if len(rows) > maxRows {
		return 0, invalidForm("components", "Must be 5 or fewer in length.")
	}
	ids := map[string]bool{}
	for i, r := range rows {
		field := fmt.Sprintf("components.%d", i)
		if r.Type != 1 || len(r.Components) == 0 || len(r.Components) > maxRowComponents {
			return 0, invalidForm(field, "An action row holds 1 to 5 components.")
		}
		for j, c := range r.Components {
			name := fmt.Sprintf("%s.components.%d", field, j)
			switch {
			case c.Type != 2:
				continue
			case c.Style < 1 || c.Style > 6:
				return 0, invalidForm(name+".style", "Value must be one of (1, 2, 3, 4, 5, 6).")
			case utf8.RuneCountInString(c.Label) > maxLabel:
				return 0, invalidForm(name+".label", "Must be 80 or fewer in length.")
			case c.Style != 5 && (c.CustomID == "" || len(c.CustomID) > maxCustomID):
				return 0, invalidForm(name+".custom_id", "Must be between 1 and 100 in length.")
			case c.Style != 5 && ids[c.CustomID]:
				return 0, invalidForm(name+".custom_id", "Component custom id cannot be duplicated")
			}
			ids[c.CustomID] = true
		}
	}
	return len(rows), nil
}

func checkAllowed(raw json.RawMessage) *apiError {
	if !isSet(raw) {
		return nil
	}
	a := parseAllowed(raw)
	if !a.Sent {
		return invalidForm("allowed_mentions", "Must be an object.")
	}
	for _, p := range a.Parse {
		switch p {
		case "users":
			if len(a.Users) > 0 {
				return invalidForm("allowed_mentions", "parse:[\"users\"] and users: [ids...] are mutually exclusive.")
			}
		case "roles":
			if len(a.Roles) > 0 {
				return invalidForm("allowed_mentions", "parse:[\"roles\"] and roles: [ids...] are mutually exclusive.")
			}
		case "everyone":
		default:
			return invalidForm("allowed_mentions.parse", "Value must be one of (roles, users, everyone).")
		}
	}
	if len(a.Users) > maxAllowedUsers || len(a.Roles) > maxAllowedUsers {
		return invalidForm("allowed_mentions", "Must be 100 or fewer in length.")
	}
	return nil
}

// commandName is what Discord accepts as a command's or option's name.
var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$`)

// checkCommand reads command i of a bulk overwrite and refuses what
// Discord refuses: bad names, missing descriptions, and required options
// after optional ones.
func checkCommand(raw json.RawMessage, i int) (Command, *apiError) {
	var c Command
	var body struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Type        int             `json:"type"`
		Options     []CommandOption `json:"options"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return c, invalidForm(fmt.Sprint(i), "Must be a command.")
	}
	c = Command{Name: body.Name, Description: body.Description, Type: body.Type, Options: body.Options, Raw: append(json.RawMessage(nil), raw...)}
	if c.Type == 0 {
		c.Type = 1
	}
	field := fmt.Sprint(i)
	if !commandName.MatchString(c.Name) {
		return c, invalidForm(field+".name", "Command name is invalid")
	}
	if n := utf8.RuneCountInString(c.Description); c.Type == 1 && (n == 0 || n > 100) {
		return c, invalidForm(field+".description", "Must be between 1 and 100 in length.")
	}
	return c, checkOptions(c.Options, field+".options")
}

func checkOptions(opts []CommandOption, field string) *apiError {
	if len(opts) > 25 {
		return invalidForm(field, "Must be 25 or fewer in length.")
	}
	names := map[string]bool{}
	optional := false
	for j, o := range opts {
		f := fmt.Sprintf("%s.%d", field, j)
		switch n := utf8.RuneCountInString(o.Description); {
		case !commandName.MatchString(o.Name):
			return invalidForm(f+".name", "Command name is invalid")
		case names[o.Name]:
			return invalidForm(f+".name", "Option names must be unique")
		case n == 0 || n > 100:
			return invalidForm(f+".description", "Must be between 1 and 100 in length.")
		case o.Type < 1 || o.Type > 11:
			return invalidForm(f+".type", "Value must be one of (1, 2, …, 11).")
		}
		names[o.Name] = true
		if o.Type == 1 || o.Type == 2 {
			if e := checkOptions(o.Options, f+".options"); e != nil {
				return e
			}
			continue
		}
		if o.Required && optional {
			return invalidForm(field, "Required options must be placed before non-required options")
		}
		optional = optional || !o.Required
	}
	return nil
}

func userObject(u *User) map[string]any {
	var global any
	if u.GlobalName != "" {
		global = u.GlobalName
	}
	return map[string]any{
		"id": u.ID, "username": u.Username, "global_name": global, "discriminator": "0",
		"avatar": nil, "bot": u.Bot, "public_flags": 0,
	}
}

// memberObject is a guild member, with the user in it when withUser
// (interactions) or without (messages carry the user as author).
func memberObject(u *User, withUser bool) map[string]any {
	m := map[string]any{
		"roles": []string{}, "joined_at": "2024-01-01T00:00:00.000000+00:00", "nick": nil,
		"deaf": false, "mute": false, "flags": 0, "pending": false, "permissions": "2248473465835073",
	}
	if withUser {
		m["user"] = userObject(u)
	}
	return m
}

func (s *Server) channelObjectLocked(c *Channel) map[string]any {
	o := map[string]any{"id": c.ID, "type": c.Type, "flags": 0}
	if c.Type == ChannelDM {
		o["recipients"] = []any{userObject(s.userLocked(c.Recipient))}
		return o
	}
	o["name"], o["guild_id"], o["position"], o["nsfw"] = c.Name, c.GuildID, 0, false
	o["permission_overwrites"] = s.overwritesLocked(c)
	if c.ParentID != "" {
		o["parent_id"] = c.ParentID
	}
	// Like Discord, the id of the channel's latest message, deleted or
	// not: clients read it to know whether there is anything new.
	last := ""
	for _, m := range s.messages {
		if m.ChannelID == c.ID && (last == "" || idLess(last, m.ID)) {
			last = m.ID
		}
	}
	if last != "" {
		o["last_message_id"] = last
	}
	if c.IsThread() {
		count, sent := 0, 0
		for _, m := range s.messages {
			if m.ChannelID == c.ID {
				sent++
				if !m.Deleted {
					count++
				}
			}
		}
		o["owner_id"], o["message_count"], o["total_message_sent"], o["member_count"] = c.OwnerID, count, sent, 1
		o["thread_metadata"] = map[string]any{
			"archived": false, "auto_archive_duration": c.AutoArchive, "locked": false,
			"archive_timestamp": snowflakeTime(c.ID).Format(time.RFC3339Nano),
		}
	}
	if c.Type == ChannelForum {
		o["available_tags"], o["default_auto_archive_duration"] = []any{}, 4320
	}
	return o
}

var mentionSeq = regexp.MustCompile(`<@!?(\d+)>`)

// messageObjectLocked is m as Discord sends it. The caller holds s.mu.
func (s *Server) messageObjectLocked(m *Message) map[string]any {
	mentions := []any{}
	for _, sm := range mentionSeq.FindAllStringSubmatch(m.Content, -1) {
		if u, ok := s.users[sm[1]]; ok {
			mentions = append(mentions, userObject(u))
		}
	}
	attachments := []any{}
	// Files given by name only have unsigned links, as from before
	// Discord signed them, which its CDN no longer serves.
	for i, name := range m.Attachments {
		id := fmt.Sprintf("%s%d", m.ID[:len(m.ID)-1], i)
		url := fmt.Sprintf("https://cdn.discordapp.com/attachments/%s/%s/%s", m.ChannelID, id, name)
		attachments = append(attachments, map[string]any{
			"id": id, "filename": name, "size": 1024, "url": url, "proxy_url": url, "content_type": contentType(name),
		})
	}
	for _, f := range slices.Concat(m.Files, m.Uploads) {
		attachments = append(attachments, s.attachmentObjectLocked(m.ChannelID, f))
	}
	var edited any
	if !m.editedAt.IsZero() {
		edited = m.editedAt.Format(time.RFC3339Nano)
	}
	o := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "author": userObject(s.userLocked(m.AuthorID)),
		"content": m.Content, "timestamp": snowflakeTime(m.ID).Format(time.RFC3339Nano), "edited_timestamp": edited,
		"tts": false, "mention_everyone": false, "mentions": mentions, "mention_roles": []any{},
		"attachments": attachments, "embeds": rawOrEmpty(m.Embeds), "components": rawOrEmpty(m.Components),
		"pinned": false, "type": 0, "flags": m.Flags,
	}
	if m.GuildID != "" {
		o["guild_id"] = m.GuildID
	}
	if m.Nonce != "" {
		o["nonce"] = m.Nonce
	}
	if m.replyTo != "" {
		o["type"] = 19
		ref := map[string]any{"message_id": m.replyTo, "channel_id": m.ChannelID}
		if m.GuildID != "" {
			ref["guild_id"] = m.GuildID
		}
		o["message_reference"] = ref
	}
	if m.Thread != "" && m.Thread != m.ChannelID {
		if t, ok := s.channels[m.Thread]; ok {
			o["thread"] = s.channelObjectLocked(t)
		}
	}
	return o
}

func rawOrEmpty(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("[]")
	}
	return raw
}

func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".pdf":
		return "application/pdf"
	case ".mp4":
		return "video/mp4"
	case ".ogg":
		return "audio/ogg" // a voice message
	case ".mp3":
		return "audio/mpeg"
	}
	return "application/octet-stream"
}
