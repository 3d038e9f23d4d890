package slack_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/sim/slacksim"
)

// chart is a small PNG file: its signature, then bytes a PNG would carry.
var chart = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, '\r', '\n'}, 500)...)

// report is what a weekly report shares: a chart and a CSV export.
func report() []bot.File {
	return []bot.File{
		{Name: "first-answer.png", Title: "First answer, this week", Alt: "Bars by day: Monday 12 minutes, Tuesday 40 minutes.", Data: chart},
		{Name: "tickets.csv", Title: "Tickets", Data: []byte("ticket,customer,minutes\n12,\"<!here> Jane\",40\n")},
	}
}

func TestUploadSharesFilesWithTheirText(t *testing.T) {
	text := "📊 Week 9 for " + bot.Mention(bot.Agent{ID: "U0BORA"}) + ": slowest #12 from " + bot.Quote(hostileName)
	tests := []struct {
		name    string
		agent   string
		channel string // where the files must be shared
	}{
		{"in the desk channel", "", "C0DESK"},
		{"privately to an agent", "U0BORA", "DU0BORA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			sim.AddUser("U0BORA", "bora")
			d := newDesk(t, sim)
			if err := d.Upload(context.Background(), tt.agent, text, report()); err != nil {
				t.Fatal(err)
			}
			files := sim.Files()
			if len(files) != 2 {
				t.Fatalf("shared %+v, want the chart and the export", files)
			}
			for i, want := range report() {
				got := files[i]
				if got.Name != want.Name || got.Title != want.Title || got.AltText != want.Alt || !bytes.Equal(got.Data, want.Data) || got.Channel != tt.channel {
					t.Errorf("file %d arrived as %s %q alt %q, %d bytes in %s; want %s %q alt %q, %d bytes in %s",
						i, got.Name, got.Title, got.AltText, len(got.Data), got.Channel, want.Name, want.Title, want.Alt, len(want.Data), tt.channel)
				}
			}
			if files[0].MessageTS == "" || files[0].MessageTS != files[1].MessageTS {
				t.Errorf("the files came in messages %q and %q, want one message for both", files[0].MessageTS, files[1].MessageTS)
			}
			m, _ := sim.Message(files[0].MessageTS)
			want := "📊 Week 9 for <@U0BORA>: slowest #12 from &lt;!here&gt; &lt;@U0LEAD&gt; gpj.exe red"
			if m.Channel != tt.channel || !strings.HasPrefix(m.Text, want) {
				t.Errorf("the message sharing the files, in %s: %q\nwant in %s: %q", m.Channel, m.Text, tt.channel, want)
			}
			if rest := strings.ReplaceAll(m.Text, "<@U0BORA>", ""); livePing.MatchString(rest) || hidden.MatchString(rest) {
				t.Errorf("the customer's name acts on the desk: %q", m.Text)
			}
			if n := len(sim.Messages()); n != 1 {
				t.Errorf("%d messages on Slack, want the one that shares the files", n)
			}
		})
	}
}

// TestUploadKeepsWithinSlackLimits: alt text longer than Slack takes is
// cut rather than refused; more files than a message shows go in more
// messages, the text with the first.
func TestUploadKeepsWithinSlackLimits(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	var files []bot.File
	for i := range 12 {
		files = append(files, bot.File{Name: "day.png", Title: "Day", Alt: strings.Repeat("a", 1500), Data: []byte{byte(i + 1)}})
	}
	if err := d.Upload(context.Background(), "", "twelve days", files); err != nil {
		t.Fatal(err)
	}
	got := sim.Files()
	if len(got) != 12 {
		t.Fatalf("%d files shared, want 12", len(got))
	}
	for i, f := range got {
		if n := len([]rune(f.AltText)); n > 1000 || !strings.HasPrefix(f.AltText, "aaa") || f.Data[0] != byte(i+1) {
			t.Errorf("file %d: %d bytes starting %d, alt text of %d characters", i, len(f.Data), f.Data[0], n)
		}
	}
	roots := sim.Roots()
	if len(roots) != 2 || roots[0].Text != "twelve days" || len(roots[0].Files) != 10 || roots[1].Text != "" || len(roots[1].Files) != 2 {
		t.Errorf("messages %+v, want ten files with the text, then two", roots)
	}
}

func TestUploadWithoutFilesIsWords(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	sim.AddUser("U0BORA", "bora")
	d := newDesk(t, sim)
	ctx := context.Background()
	if err := d.Upload(ctx, "", "nothing to chart this week", nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Upload(ctx, "U0BORA", "nothing for you either", nil); err != nil {
		t.Fatal(err)
	}
	if roots := sim.Roots(); len(roots) != 1 || roots[0].Text != "nothing to chart this week" {
		t.Errorf("desk channel: %+v", roots)
	}
	if dms := sim.DirectMessages("U0BORA"); len(dms) != 1 || dms[0].Text != "nothing for you either" {
		t.Errorf("bora's direct messages: %+v", dms)
	}
	if calls := sim.Calls("files.getUploadURLExternal"); calls != 0 {
		t.Errorf("%d uploads started for no file", calls)
	}
}

func TestUploadErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name      string
		agent     string
		sim       slacksim.Options
		breakIt   func(*slacksim.Server)
		permanent bool
		retry     time.Duration // the wait Slack asked for
		says      string        // in the error, for whoever runs caredesk
	}{
		{name: "no files:write", breakIt: func(s *slacksim.Server) { s.RevokeScope("files:write") }, permanent: true,
			says: "Slack refused the upload: the app lacks the files:write scope; add it on the app's OAuth & Permissions page (slack-app-manifest.yaml lists it) and reinstall the app"},
		{name: "no im:write for a private upload", agent: "U0BORA", breakIt: func(s *slacksim.Server) { s.RevokeScope("im:write") }, permanent: true,
			says: "Slack refused the upload: the app lacks the im:write scope it needs to write to an agent in private; add it on the app's OAuth & Permissions page"},
		{name: "removed from the channel", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.completeUploadExternal", 1, slacksim.SlackError("not_in_channel"))
		}, permanent: true, says: "Slack refused the upload: the bot is not a member of channel C0DESK; invite it with /invite in that channel"},
		{name: "channel gone", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.completeUploadExternal", 1, slacksim.SlackError("channel_not_found"))
		}, permanent: true, says: "Slack refused the upload: channel C0DESK is not found; check SLACK_CHANNEL_ID"},
		{name: "token revoked", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.getUploadURLExternal", 1, slacksim.SlackError("invalid_auth"))
		}, permanent: true, says: "it rejected SLACK_BOT_TOKEN (invalid_auth); copy the Bot User OAuth Token"},
		{name: "file too large", sim: slacksim.Options{MaxFileSize: 1000}, permanent: true,
			says: "Slack refused the upload: first-answer.png is 2 KB, more than the workspace takes; ask a workspace admin to allow larger files, or send a smaller one"},
		{name: "uploads turned off", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.getUploadURLExternal", 1, slacksim.SlackError("file_uploads_disabled"))
		}, permanent: true, says: "the workspace's admins do not allow this file"},
		{name: "rate limited", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.getUploadURLExternal", 1, slacksim.RateLimited(7*time.Second))
		}, retry: 7 * time.Second},
		{name: "rate limited at the upload URL", breakIt: func(s *slacksim.Server) {
			s.FailNext(slacksim.UploadURLMethod, 1, slacksim.RateLimited(3*time.Second))
		}, retry: 3 * time.Second},
		{name: "Slack down while sharing", breakIt: func(s *slacksim.Server) {
			s.FailNext("files.completeUploadExternal", 1, slacksim.ServerError(503))
		}},
		{name: "the upload URL fails", breakIt: func(s *slacksim.Server) {
			s.FailNext(slacksim.UploadURLMethod, 1, slacksim.ServerError(500))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, tt.sim)
			sim.AddUser("U0BORA", "bora")
			d := newDesk(t, sim)
			if tt.breakIt != nil {
				tt.breakIt(sim)
			}
			err := d.Upload(context.Background(), tt.agent, "week 9", report())
			if err == nil {
				t.Fatal("the upload succeeded")
			}
			if bot.IsPermanent(err) != tt.permanent || bot.RetryAfterOf(err) != tt.retry {
				t.Errorf("%v: permanent %v, retry after %s; want %v, %s", err, bot.IsPermanent(err), bot.RetryAfterOf(err), tt.permanent, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q\ndoes not say %q", err, tt.says)
			}
			if len(sim.Files()) != 0 || len(sim.Messages()) != 0 {
				t.Errorf("a failed upload left %d files and %d messages on Slack", len(sim.Files()), len(sim.Messages()))
			}
		})
	}
}

// TestUploadRetriesAfterAFailure: what a failed attempt uploaded is never
// shared, and the next attempt shares every file once.
func TestUploadRetriesAfterAFailure(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	sim.FailNext(slacksim.UploadURLMethod, 1, slacksim.ServerError(502))
	ctx := context.Background()
	if err := d.Upload(ctx, "", "week 9", report()); err == nil || bot.IsPermanent(err) {
		t.Fatalf("the first attempt: %v, want a temporary failure", err)
	}
	if err := d.Upload(ctx, "", "week 9", report()); err != nil {
		t.Fatal(err)
	}
	if got := sim.Files(); len(got) != 2 || !bytes.Equal(got[0].Data, chart) {
		t.Errorf("shared %d files, want the two of the report once", len(got))
	}
	if n := len(sim.Roots()); n != 1 {
		t.Errorf("%d messages, want one", n)
	}
}

// TestManifestAsksForTheUploadScopes: the app made from the manifest can
// do what Upload does, as its error sentences promise.
func TestManifestAsksForTheUploadScopes(t *testing.T) {
	manifest, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{"files:write", "im:write"} {
		if !regexp.MustCompile(`(?m)^\s+- ` + scope + `\b`).Match(manifest) {
			t.Errorf("slack-app-manifest.yaml does not ask for %s", scope)
		}
	}
}
