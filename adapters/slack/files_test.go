package slack_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/sim/slacksim"
)

// upload is a file as the courier hands it to the desk, its bytes in memory.
func upload(id int64, name string, data []byte) bot.Upload {
	return bot.Upload{
		File: bot.Attachment{ID: id, Kind: bot.FilePhoto, Name: name, MIME: "image/jpeg", Size: int64(len(data))},
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("JFIF"), 3000)...)

func TestPostFilesIntoTheThread(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	tk.Customer.Name = hostileName
	m := bot.Message{ID: 40, TicketID: tk.ID, Kind: bot.FromCustomer, Text: "the box was crushed", At: now}
	ref, err := d.PostFiles(context.Background(), tk, m, []bot.Upload{upload(1, "photo.jpg", jpeg), upload(2, "label.png", chart)})
	if err != nil {
		t.Fatal(err)
	}
	files := sim.Files()
	if len(files) != 2 || ref != files[0].ID {
		t.Fatalf("files %+v, ref %q: want two files, the ref the first one's id", files, ref)
	}
	for i, want := range [][]byte{jpeg, chart} {
		if !bytes.Equal(files[i].Data, want) || files[i].ThreadTS != tk.DeskThread {
			t.Errorf("file %d: %d bytes in thread %q, want %d bytes in %q", i, len(files[i].Data), files[i].ThreadTS, len(want), tk.DeskThread)
		}
	}
	msg, _ := sim.Message(files[0].MessageTS)
	if !strings.Contains(msg.Text, "photo.jpg") || livePing.MatchString(msg.Text) || hidden.MatchString(msg.Text) {
		t.Errorf("the message sharing the files reads %q: want the file names and the customer's name made harmless", msg.Text)
	}

	// After a lost answer, the post is found instead of made again; a
	// post another file of the ticket already took is not.
	found, err := d.FindFiles(context.Background(), tk, m, []bot.Upload{upload(1, "photo.jpg", jpeg), upload(2, "label.png", chart)}, nil)
	if err != nil || found != ref {
		t.Errorf("FindFiles = %q, %v; want %q", found, err, ref)
	}
	found, err = d.FindFiles(context.Background(), tk, m, []bot.Upload{upload(1, "photo.jpg", jpeg), upload(2, "label.png", chart)}, []string{ref})
	if err != nil || found != "" {
		t.Errorf("FindFiles with the post taken = %q, %v; want none", found, err)
	}
	found, err = d.FindFiles(context.Background(), tk, m, []bot.Upload{upload(3, "other.jpg", jpeg)}, nil)
	if err != nil || found != "" {
		t.Errorf("FindFiles of other files = %q, %v; want none", found, err)
	}
}

func TestEditMessageMarksItEdited(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	tk := posted(t, d)
	m := bot.Message{ID: 41, TicketID: tk.ID, Kind: bot.FromCustomer, Text: "it was a gift for tomorow", At: now}
	ref, err := d.PostMessage(context.Background(), tk, m)
	if err != nil {
		t.Fatal(err)
	}
	m.DeskRef, m.Original, m.Text, m.EditedAt = ref, m.Text, "it was a gift for tomorrow", now
	if err := d.EditMessage(context.Background(), tk, m); err != nil {
		t.Fatal(err)
	}
	got, _ := sim.Message(ref)
	if !strings.Contains(got.Rendered(), "it was a gift for tomorrow") || !strings.Contains(got.Rendered(), "(edited)") {
		t.Errorf("the thread shows %q, want the new words marked edited", got.Rendered())
	}
}

func TestFetchAgentsFile(t *testing.T) {
	pdf := []byte("%PDF-1.7 iade formu")
	tests := []struct {
		name    string
		revoke  bool   // the app lacks files:read
		origin  string // "" is the file's own download address
		want    []byte
		wantErr string
	}{
		{"with files:read", false, "", pdf, ""},
		{"without files:read", true, "", nil, "add the files:read scope"},
		{"not Slack's address", false, "https://evil.example.com/steal", nil, "not Slack's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			tk := posted(t, d)
			c := &core{}
			serve(t, sim, d, c)
			if _, _, err := sim.UserSharesFile("U0ALICE", tk.DeskThread, "the form", slacksim.SharedFile{Name: "iade.pdf", MIME: "application/pdf", Data: pdf}); err != nil {
				t.Fatal(err)
			}
			wait(t, sim, "the share", func() bool { return len(c.got()) == 1 })
			a := c.got()[0]
			if a.Verb != bot.DoSay || len(a.Files) != 1 || a.Files[0].Name != "iade.pdf" || a.Files[0].From != bot.FromDesk || a.Files[0].Size != int64(len(pdf)) {
				t.Fatalf("the core got %+v, want a DoSay with the PDF", a)
			}
			f := a.Files[0]
			if tt.origin != "" {
				f.Origin = tt.origin
			}
			if tt.revoke {
				sim.RevokeScope("files:read")
			}
			body, err := d.Fetch(context.Background(), f)
			if tt.wantErr != "" {
				if !bot.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch: %v, want a refusal with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			if got, _ := io.ReadAll(body); !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch gave %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEditsAndDeletionsBecomeActions(t *testing.T) {
	sim := newSim(t, slacksim.Options{EchoBotEdits: true})
	d := newDesk(t, sim)
	tk := posted(t, d)
	c := &core{}
	serve(t, sim, d, c)
	ts, _, err := sim.UserPosts("U0ALICE", tk.DeskThread, "It leaves tomorow.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.EditMessage("U0ALICE", ts, "It leaves tomorrow."); err != nil {
		t.Fatal(err)
	}
	// caredesk's own edit of the root (a re-render) is not an agent's.
	if err := d.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.DeleteMessage("U0ALICE", ts); err != nil {
		t.Fatal(err)
	}
	wait(t, sim, "three actions", func() bool { return len(c.got()) >= 3 })
	got := c.got()
	want := []struct {
		verb bot.Verb
		text string
	}{{bot.DoSay, "It leaves tomorow."}, {bot.DoEdit, "It leaves tomorrow."}, {bot.DoDelete, ""}}
	if len(got) != len(want) {
		t.Fatalf("the core got %d actions (%+v), want %d", len(got), got, len(want))
	}
	for i, w := range want {
		a := got[i]
		if a.Verb != w.verb || a.Text != w.text || a.Ref != ts || a.Thread != tk.DeskThread || a.Agent.ID != "U0ALICE" || a.EventID == "" {
			t.Errorf("action %d = %+v, want %s %q of %s in %s by U0ALICE", i, a, w.verb, w.text, ts, tk.DeskThread)
		}
	}
	if got[0].EventID == got[1].EventID || got[1].EventID == got[2].EventID {
		t.Error("an edit shares its event id with another action, so the core would drop it")
	}
}
