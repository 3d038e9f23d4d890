package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/sim/bridgesim"
	"caredesk/sim/discordsim"
	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// photoBytes is a JPEG as far as anyone checks: its signature, then bytes.
var photoBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'}, bytes.Repeat([]byte{0x42, 0x17}, 40_000)...)

// threadFiles are the files caredesk shared in a thread.
func (r *rig) threadFiles(thread string) []slacksim.File {
	var out []slacksim.File
	for _, f := range r.slack.Files() {
		if f.ThreadTS == thread {
			out = append(out, f)
		}
	}
	return out
}

// sentWhere returns the first message the bot sent on Telegram that
// keep accepts. It only reads, so rig.wait may call it from two
// goroutines at once.
func (r *rig) sentWhere(keep func(telegramsim.SentMessage) bool) (telegramsim.SentMessage, bool) {
	for _, m := range r.tg.Sent() {
		if keep(m) {
			return m, true
		}
	}
	return telegramsim.SentMessage{}, false
}

// TestPhotoReachesTheThread: a customer's photo with a caption opens a
// ticket whose root reads the caption, and the photo itself, byte for
// byte, is in the ticket's thread; a photo with no words opens a ticket
// too.
func TestPhotoReachesTheThread(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerSendsPhoto(jane.ID, jane, photoBytes, "The box arrived crushed, see")
	r.wait("the photo in the thread", func() bool { return len(r.slack.Files()) == 1 })
	root := r.root(1)
	if !strings.Contains(root.Rendered(), "The box arrived crushed, see") {
		t.Errorf("the root does not read the caption:\n%s", root.Rendered())
	}
	f := r.slack.Files()[0]
	if f.ThreadTS != root.TS || !bytes.Equal(f.Data, photoBytes) || !strings.HasSuffix(f.Name, ".jpg") {
		t.Errorf("shared %s (%d bytes) in thread %q; want the %d bytes of the photo in %q", f.Name, len(f.Data), f.ThreadTS, len(photoBytes), root.TS)
	}

	ali := customer(4343, "Ali", "")
	r.tg.CustomerSendsPhoto(ali.ID, ali, photoBytes[:1000], "")
	r.wait("the second photo", func() bool { return len(r.slack.Files()) == 2 })
	if got := r.root(2).Rendered(); !strings.Contains(got, "photo") {
		t.Errorf("a photo without words opened a ticket reading:\n%s", got)
	}
	if n := r.tg.Downloads(); n != 2 {
		t.Errorf("%d downloads from Telegram for two photos", n)
	}
}

// TestOwnerFilesEditsAndDeletes: the owner's PDF reaches the customer on
// Telegram with the words of the message; the owner fixes a typo and the
// customer's copy changes; the owner deletes a reply and it is gone for
// the customer too.
func TestOwnerFilesEditsAndDeletes(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "Where do I get the return form?")
	r.wait("the ticket", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	r.command("UALICE", "alice", "claim 1")

	pdf := []byte("%PDF-1.7\n% iade formu\n" + strings.Repeat("0 0 obj\n", 500))
	if _, _, err := r.slack.UserSharesFile("UALICE", thread, "Here is the form; fill in page 2.",
		slacksim.SharedFile{Name: "iade-formu.pdf", MIME: "application/pdf", Data: pdf}); err != nil {
		t.Fatal(err)
	}
	hasFile := func(m telegramsim.SentMessage) bool { return m.ChatID == jane.ID && len(m.Files) == 1 }
	r.wait("the PDF on Telegram", func() bool { _, ok := r.sentWhere(hasFile); return ok })
	withFile, _ := r.sentWhere(hasFile)
	if f := withFile.Files[0]; f.Name != "iade-formu.pdf" || !bytes.Equal(f.Data, pdf) || withFile.Caption != "Here is the form; fill in page 2." {
		t.Errorf("Telegram got %s (%d bytes) with caption %q; want the %d bytes of iade-formu.pdf with the agent's words", f.Name, len(f.Data), withFile.Caption, len(pdf))
	}

	ts, _ := r.post("UALICE", thread, "It leaves the warehouse tomorow.")
	typo := func(m telegramsim.SentMessage) bool {
		return m.ChatID == jane.ID && m.Text == "It leaves the warehouse tomorow."
	}
	r.wait("the reply", func() bool { _, ok := r.sentWhere(typo); return ok })
	sent, _ := r.sentWhere(typo)
	r.wait("the ✔ on the reply", func() bool {
		return slices.ContainsFunc(r.slack.Reactions(), func(x slacksim.Reaction) bool { return x.TS == ts })
	})
	if _, err := r.slack.EditMessage("UALICE", ts, "It leaves the warehouse tomorrow."); err != nil {
		t.Fatal(err)
	}
	r.wait("the corrected copy", func() bool {
		m, ok := r.tg.Message(jane.ID, sent.MessageID)
		return ok && m.Text == "It leaves the warehouse tomorrow."
	})
	if m, _ := r.tg.Message(jane.ID, sent.MessageID); !slices.Equal(m.Earlier, []string{"It leaves the warehouse tomorow."}) {
		t.Errorf("Telegram's record of the edit: %q, want the typo replaced once", m.Earlier)
	}
	if got := r.command("UALICE", "alice", "show 1"); !strings.Contains(got, "tomorow") || !strings.Contains(got, "tomorrow") {
		t.Errorf("/desk show lacks the reply's first wording or its correction:\n%s", got)
	}

	if _, err := r.slack.DeleteMessage("UALICE", ts); err != nil {
		t.Fatal(err)
	}
	r.wait("the reply deleted for the customer", func() bool { return r.tg.Deleted(jane.ID, sent.MessageID) })
	r.wait("the thread saying so", func() bool {
		return slices.ContainsFunc(r.slack.Thread(thread), func(m slacksim.Message) bool { return strings.Contains(m.Rendered(), "deleted for the customer") })
	})
}

// TestCustomerEditReachesTheThread: a customer corrects their message
// and the thread shows the new words, marked edited.
func TestCustomerEditReachesTheThread(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerWrites(jane.ID, jane, "My order 5512 is late")
	r.wait("the ticket", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	r.tg.CustomerWrites(jane.ID, jane, "It was a gift for tomorow")
	second := r.tg.LastMessageID(jane.ID)
	r.wait("the second message", func() bool { return len(r.slack.Thread(thread)) >= 1 })
	r.tg.CustomerEdits(jane.ID, jane, second, "It was a gift for tomorrow")
	r.wait("the edit in the thread", func() bool {
		return slices.ContainsFunc(r.slack.Thread(thread), func(m slacksim.Message) bool {
			return strings.Contains(m.Rendered(), "It was a gift for tomorrow") && strings.Contains(m.Rendered(), "(edited)")
		})
	})
	r.tg.CustomerEdits(jane.ID, jane, second-1, "My order 5513 is late")
	r.wait("the root re-rendered", func() bool { return strings.Contains(r.root(1).Rendered(), "My order 5513 is late") })
}

// TestKillBetweenUploadAndRecord: caredesk is killed after Slack took a
// customer's photo but before caredesk recorded it; after the restart the
// photo is in the thread once, and was downloaded from Telegram once.
func TestKillBetweenUploadAndRecord(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	held, release := r.slack.HoldNext("files.completeUploadExternal")
	defer release()
	r.tg.CustomerSendsPhoto(jane.ID, jane, photoBytes, "crushed")
	<-held
	r.kill9()
	release()
	r.start()
	// Later messages of the ticket wait behind its files: once this one
	// is in the thread, the photo's delivery is settled.
	r.tg.CustomerWrites(jane.ID, jane, "Hello? Did you see the photo?")
	r.wait("the follow-up in the thread", func() bool {
		roots := r.roots()
		return len(roots) == 1 && slices.ContainsFunc(r.slack.Thread(roots[0].TS), func(m slacksim.Message) bool { return strings.Contains(m.Rendered(), "Did you see the photo?") })
	})
	thread := r.roots()[0].TS
	if files := r.threadFiles(thread); len(files) != 1 || !bytes.Equal(files[0].Data, photoBytes) {
		t.Errorf("%d files in the thread after the restart, want the photo once", len(files))
	}
	if n := r.tg.Downloads(); n != 1 {
		t.Errorf("the photo was downloaded %d times from Telegram, want once (its bytes were kept)", n)
	}
}

// TestFilesOnADiscordDesk: with the team on Discord, a Telegram photo
// reaches the ticket's thread as an attachment; the owner's PDF posted in
// the thread reaches Telegram; the owner's edit changes the customer's
// copy.
func TestFilesOnADiscordDesk(t *testing.T) {
	d := newDiscord(t)
	o := d.Options()
	r := newRig(t, rigOptions{env: map[string]string{
		"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
		"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_API_URL": d.URL(),
	}})
	r.start()
	jane := customer(71, "Jane", "jane")
	r.tg.CustomerSendsPhoto(jane.ID, jane, photoBytes, "crushed box")
	waitDiscord(t, d, "the ticket's thread", func() bool { return len(d.Threads(o.DeskChannelID)) == 1 })
	thread := d.Threads(o.DeskChannelID)[0]
	uploaded := func() []discordsim.Attachment {
		var out []discordsim.Attachment
		for _, m := range d.Thread(thread.ID) {
			out = append(out, m.Uploads...)
		}
		return out
	}
	waitDiscord(t, d, "the photo in the thread", func() bool { return len(uploaded()) == 1 })
	if f := uploaded()[0]; !bytes.Equal(f.Data, photoBytes) || !strings.HasSuffix(f.Filename, ".jpg") {
		t.Errorf("the thread shows %s, %d bytes; want the %d bytes of the photo", f.Filename, len(f.Data), len(photoBytes))
	}

	r.recorded(1)
	if _, err := d.SlashCommand("400000000000000001", "claim", nil, thread.ID).Wait(context.Background(), discordsim.Response.Done); err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.7 label\n" + strings.Repeat("x", 2000))
	d.UserPosts(thread.ID, "400000000000000001", discordsim.Post{Content: "Print this label, please.",
		Files: []discordsim.Attachment{{Filename: "label.pdf", ContentType: "application/pdf", Data: pdf}}})
	hasFile := func(m telegramsim.SentMessage) bool { return m.ChatID == jane.ID && len(m.Files) == 1 }
	r.wait("the PDF on Telegram", func() bool { _, ok := r.sentWhere(hasFile); return ok })
	withFile, _ := r.sentWhere(hasFile)
	if f := withFile.Files[0]; f.Name != "label.pdf" || !bytes.Equal(f.Data, pdf) || withFile.Caption != "Print this label, please." {
		t.Errorf("Telegram got %s (%d bytes) captioned %q", f.Name, len(f.Data), withFile.Caption)
	}

	reply := d.UserWrites(thread.ID, "400000000000000001", "It ships tomorow.")
	typo := func(m telegramsim.SentMessage) bool { return m.ChatID == jane.ID && m.Text == "It ships tomorow." }
	r.wait("the reply", func() bool { _, ok := r.sentWhere(typo); return ok })
	sent, _ := r.sentWhere(typo)
	d.UserEdits(thread.ID, reply, "400000000000000001", "It ships tomorrow.")
	r.wait("the corrected copy", func() bool {
		m, ok := r.tg.Message(jane.ID, sent.MessageID)
		return ok && m.Text == "It ships tomorrow."
	})
}

// TestFilesToABridge: the owner's PDF reaches a webhook bridge as a signed
// link to caredesk's public address, which the bridge downloads byte for
// byte; the owner's edit reaches the bridge as kind edit, a deletion as
// kind delete, and then the link is dead.
func TestFilesToABridge(t *testing.T) {
	bridge, err := bridgesim.New(bridgesim.Options{Secret: twitterSecret, Download: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bridge.Close)
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	yaml := "customers:\n  signature: false\nsources:\n  webhook:\n    - name: twitter\n      secret_env: TWITTER_HOOK_SECRET\n      reply_url: " + bridge.ReplyURL() + "\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_CONFIG": path, "TWITTER_HOOK_SECRET": twitterSecret}})
	r.env["CAREDESK_PUBLIC_URL"] = r.base
	r.start()
	tweet := bridgesim.Complaint{ID: "1860000000000000001", ConversationID: "1860000000000000001",
		Author: bridgesim.Author{ID: "44196397", Name: "Loud Customer"}, Text: "Where is the return form?"}
	if status, body, err := bridge.SendComplaint(r.base, "twitter", tweet); err != nil || status != http.StatusAccepted {
		t.Fatalf("complaint: %d %s %v", status, body, err)
	}
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	r.command("UALICE", "alice", "claim 1")
	pdf := []byte("%PDF-1.7 return form\n" + strings.Repeat("y", 3000))
	ts, _, err := r.slack.UserSharesFile("UALICE", thread, "Here is the form.", slacksim.SharedFile{Name: "return form.pdf", MIME: "application/pdf", Data: pdf})
	if err != nil {
		t.Fatal(err)
	}
	waitBridge := func(what string, cond func() bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := bridge.Wait(ctx, cond); err != nil {
			t.Fatalf("waited 15 s for %s: %v", what, err)
		}
	}
	waitBridge("the reply with its file", func() bool { return len(bridge.Replies()) == 1 })
	reply := bridge.Replies()[0]
	if len(reply.Attachments) != 1 || !bytes.Equal(reply.Attachments[0].Data, pdf) || reply.Attachments[0].Name != "return form.pdf" ||
		!strings.HasPrefix(reply.Attachments[0].URL, r.base+"/files/") || reply.Text != "Here is the form." {
		t.Fatalf("the bridge got %+v, want the words and the PDF's bytes through a link to caredesk", reply)
	}
	if _, err := r.slack.EditMessage("UALICE", ts, "Here is the form; page 2 is optional."); err != nil {
		t.Fatal(err)
	}
	waitBridge("the edit", func() bool { return len(bridge.Edits()) == 1 })
	if e := bridge.Edits()[0]; e.Text != "Here is the form; page 2 is optional." || e.ReplyID != reply.ReplyID {
		t.Errorf("the bridge got the edit %+v", e)
	}
	if _, err := r.slack.DeleteMessage("UALICE", ts); err != nil {
		t.Fatal(err)
	}
	waitBridge("the deletion", func() bool { return len(bridge.Deletes()) == 1 })
	r.wait("the link to die", func() bool {
		_, resp, err := bridge.Download(reply.Attachments[0])
		return err == nil && resp.StatusCode == http.StatusGone
	})
}

// TestBadFiles: what cannot go gives a clear line in the thread, and the
// rest still goes: a file the Slack app may not read (no files:read), and
// a customer's document over the Bot API's 20 MB.
func TestBadFiles(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(4242, "Jane", "jane_doe")
	r.tg.CustomerSendsFile(jane.ID, jane, telegramsim.Media{Kind: "document", Name: "statement.pdf", MIME: "application/pdf",
		Data: []byte("%PDF-1.7"), Size: 21 << 20, Caption: "my bank statement"})
	r.wait("the ticket", func() bool { return len(r.roots()) == 1 })
	thread := r.root(1).TS
	said := func(text string) func() bool {
		return func() bool {
			return slices.ContainsFunc(r.slack.Thread(thread), func(m slacksim.Message) bool { return strings.Contains(m.Rendered(), text) })
		}
	}
	r.wait("the line about the large document", said("20 MB"))
	if n := len(r.threadFiles(thread)); n != 0 {
		t.Errorf("%d files in the thread, want none", n)
	}

	r.command("UALICE", "alice", "claim 1")
	r.slack.RevokeScope("files:read")
	if _, _, err := r.slack.UserSharesFile("UALICE", thread, "We got it, here is our form.",
		slacksim.SharedFile{Name: "form.pdf", MIME: "application/pdf", Data: []byte("%PDF-1.7 form")}); err != nil {
		t.Fatal(err)
	}
	r.wait("the words on Telegram", func() bool {
		_, ok := r.sentWhere(func(m telegramsim.SentMessage) bool {
			return m.ChatID == jane.ID && m.Text == "We got it, here is our form."
		})
		return ok
	})
	r.wait("the line about the file", said("files:read"))
	if _, ok := r.sentWhere(func(m telegramsim.SentMessage) bool { return len(m.Files) > 0 }); ok {
		t.Error("a file reached Telegram although the app could not read it")
	}
}
