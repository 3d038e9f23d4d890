package discord

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// The simulator cannot send a voice message's flag and waveform, nor an
// update that is no edit, so these are checked on Discord's objects.

func TestFileKindsFollowTheMediaType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType string
		waveform    string
		voiceFlag   bool
		want        bot.FileKind
	}{
		{"image/jpeg", "", false, bot.FilePhoto},
		{"image/png", "", false, bot.FilePhoto},
		{"image/webp", "", false, bot.FilePhoto},
		{"image/gif", "", false, bot.FileAnimation},
		{"audio/ogg", "AAAA", false, bot.FileVoice},
		{"audio/ogg", "", true, bot.FileVoice},
		{"audio/ogg; codecs=opus", "", true, bot.FileVoice},
		{"audio/ogg", "", false, bot.FileAudio},
		{"audio/mpeg", "", true, bot.FileAudio},
		{"video/mp4", "", false, bot.FileVideo},
		{"VIDEO/QuickTime", "", false, bot.FileVideo},
		{"application/pdf", "", false, bot.FileDocument},
		{"", "", false, bot.FileDocument},
	}
	for _, tt := range tests {
		a := &discordgo.MessageAttachment{ContentType: tt.contentType, Waveform: tt.waveform}
		if got := fileKind(a, tt.voiceFlag); got != tt.want {
			t.Errorf("%q (waveform %q, voice flag %v) is a %s, want a %s", tt.contentType, tt.waveform, tt.voiceFlag, got, tt.want)
		}
	}
}

func TestAVoiceMessageIsAVoiceFile(t *testing.T) {
	t.Parallel()
	m := &discordgo.Message{
		ID: "1", ChannelID: "2", Author: &discordgo.User{ID: "3", Username: "jane"},
		Flags: discordgo.MessageFlagsIsVoiceMessage,
		Attachments: []*discordgo.MessageAttachment{{
			Filename: "voice-message.ogg", ContentType: "audio/ogg", Size: 5120, URL: "https://cdn.discordapp.com/attachments/2/4/voice-message.ogg?ex=1",
			DurationSecs: 3.2, Waveform: "AAAA",
		}},
	}
	in, ok := inbound(m)
	if !ok || len(in.Files) != 1 || in.Files[0].Kind != bot.FileVoice || in.Files[0].Size != 5120 || in.Text != "📎 voice-message.ogg" {
		t.Errorf("a voice message became %+v (ok %v)", in, ok)
	}
}

func TestUpdatesThatAreNoEditsAreNoInbound(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 3, 2, 0, 31, 0, 0, time.UTC)
	author := &discordgo.User{ID: "3", Username: "jane"}
	tests := []struct {
		name string
		m    *discordgo.Message
		ok   bool
	}{
		{"a preview unfurled", &discordgo.Message{ID: "1", ChannelID: "2", Author: author, Content: "see https://x.example"}, false},
		{"a partial update", &discordgo.Message{ID: "1", ChannelID: "2", EditedTimestamp: &at}, false},
		{"no words left", &discordgo.Message{ID: "1", ChannelID: "2", Author: author, EditedTimestamp: &at}, false},
		{"an edit", &discordgo.Message{ID: "1", ChannelID: "2", Author: author, Content: "new words", EditedTimestamp: &at}, true},
	}
	for _, tt := range tests {
		in, ok := inboundEdit(tt.m)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v (%+v)", tt.name, ok, tt.ok, in)
		}
		if ok && (!in.Edit || in.EventID != "edit:1:2024-03-02T00:31:00Z" || !in.At.Equal(at) || in.Text != "new words") {
			t.Errorf("%s became %+v", tt.name, in)
		}
	}
}
