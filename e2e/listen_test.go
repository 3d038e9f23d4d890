package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/sim/blueskysim"
	"caredesk/sim/feedsim"
	"caredesk/sim/mastodonsim"
)

// listenRig is a rig whose file declares the listeners in yaml (the
// "sources:" section's body), with env for their secrets.
func listenRig(t *testing.T, yaml string, env map[string]string) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "caredesk.yaml")
	body := "customers:\n  acknowledge: off\n  signature: false\nsources:\n" + yaml
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = map[string]string{}
	}
	env["CAREDESK_CONFIG"] = path
	return newRig(t, rigOptions{env: env})
}

// waitPolled waits until source has been polled since caredesk started:
// its caredesk_source_up is 1 only once a poll went through, every post
// it heard handed to the core.
func (r *rig) waitPolled(source string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond) // caredesk has no push for this; ask /metrics
	defer tick.Stop()
	for metric(r.t.(*testing.T), r.base+"/metrics", `caredesk_source_up{source="`+source+`"}`) != "1" {
		select {
		case <-ctx.Done():
			r.t.Fatalf("%s was not polled within 15 s", source)
		case <-tick.C:
		}
	}
}

// TestFeedOpensTicketsOnce: a Google Alerts item about the brand opens
// one ticket, across restarts; one older than max_age, one by the
// brand's own name and one the filter leaves out open none. Its root says
// it cannot be answered; a reply is refused with what to do, and /desk
// resolve N elsewhere records the answer.
func TestFeedOpensTicketsOnce(t *testing.T) {
	feeds, err := feedsim.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feeds.Close)
	now := time.Now().UTC().Truncate(time.Second)
	items := []feedsim.Item{
		{ID: "tag:google.com,2013:googlealerts/entry:1", Title: "Acme bank blocked my card for no reason", Link: "https://sikayetvar.example/acme/123?utm_source=alerts",
			Description: "I have been waiting 3 days. <script>alert(1)</script> Acme does not answer.", Author: "Ayşe", Published: now.Add(-time.Hour)},
		{ID: "tag:google.com,2013:googlealerts/entry:2", Title: "Acme bank: ten years ago", Link: "https://old.example/acme", Published: now.Add(-40 * 24 * time.Hour)},
		{ID: "tag:google.com,2013:googlealerts/entry:3", Title: "Acme bank launches a new card", Link: "https://acme.example/news", Author: "Acme Official", Published: now},
		{ID: "tag:google.com,2013:googlealerts/entry:4", Title: "Acme bank is hiring call centre agents", Link: "https://jobs.example/acme", Published: now},
	}
	if err := feeds.SetFeed("/alerts", feedsim.Atom, feedsim.GoogleAlert("Acme bank", items...)); err != nil {
		t.Fatal(err)
	}
	r := listenRig(t, "  feed:\n    - name: alerts\n      display: Google Alerts\n      url: "+feeds.URL("/alerts")+
		"\n      exclude: [hiring]\n      skip_authors: [Acme Official]\n", nil)
	r.start()
	r.waitPolled("feed:alerts")
	r.wait("the alert's ticket", func() bool { return len(r.roots()) == 1 })
	root := r.root(1).Rendered()
	for _, want := range []string{"#1 · Google Alerts", "Acme bank blocked my card for no reason", "I have been waiting 3 days.", "From a feed: caredesk cannot answer it",
		"https://sikayetvar.example/acme/123"} {
		if !strings.Contains(root, want) {
			t.Errorf("the root lacks %q:\n%s", want, root)
		}
	}
	if strings.Contains(root, "<script>") || strings.Contains(root, "utm_source") {
		t.Errorf("the root shows markup or tracking:\n%s", root)
	}

	if got := r.command("UALICE", "alice", "reply 1 Sorry to hear that"); !strings.Contains(got, "a feed, which caredesk cannot answer") {
		t.Errorf("/desk reply to a feed's ticket: %q", got)
	}
	if got := r.command("UALICE", "alice", "resolve 1 elsewhere https://sikayetvar.example/acme/123#answer"); !strings.Contains(got, "Resolved #1, answered elsewhere") {
		t.Errorf("/desk resolve 1 elsewhere: %q", got)
	}

	// Restarted, caredesk reads the feed again: nothing new, nothing opened.
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	polls := feeds.Requests("/alerts")
	items[0].Title += " (updated)"
	if err := feeds.SetFeed("/alerts", feedsim.Atom, feedsim.GoogleAlert("Acme bank", append(items, feedsim.Item{
		ID: "tag:google.com,2013:googlealerts/entry:5", Title: "Acme bank charged me twice", Link: "https://forum.example/t/42", Published: now})...)); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.waitPolled("feed:alerts")
	if feeds.Requests("/alerts") <= polls {
		t.Fatal("caredesk did not read the feed again after its restart")
	}
	r.wait("the new item's ticket", func() bool { return len(r.roots()) == 2 })
	if n := metric(t, r.base+"/metrics", `caredesk_customer_messages_total{source="feed:alerts"}`); n != "1" {
		t.Errorf("after the restart, %s new items were taken from the feed, want 1 (the new one)", n)
	}
	// r.root counts the roots this process recorded, and it restarted.
	if roots := r.roots(); !strings.Contains(roots[1].Rendered(), "#2 · ") || !strings.Contains(roots[1].Rendered(), "Acme bank charged me twice") {
		t.Errorf("the second ticket is not the new item:\n%s", roots[1].Rendered())
	}
}

// TestFeedAwayWarns: a feed that answers 404 is announced once in the
// desk channel and is a warning in /readyz, which stays ready.
func TestFeedAwayWarns(t *testing.T) {
	feeds, err := feedsim.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feeds.Close)
	r := listenRig(t, "  feed:\n    - name: forum\n      url: "+feeds.URL("/gone.rss")+"\n", nil)
	r.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.slack.Wait(ctx, func() bool { return strings.Contains(strings.Join(r.notices(), "\n"), "feed") }); err != nil {
		t.Fatalf("the failing feed was not announced: %v\n%q", err, r.notices())
	}
	status, body := fetch(t, r.base+"/readyz")
	if status != 200 || !strings.Contains(body, "feed:forum: warning: ") {
		t.Errorf("/readyz with a failing feed: %d\n%s", status, body)
	}
}

// TestMastodonMentionAnswered: a mention of the brand and a post its
// search finds open a ticket each, the brand's own post none; the owner's
// answer in the thread goes back as a public reply under the customer's
// post, mentioning them, and the first /desk reply to a public post is
// held once.
func TestMastodonMentionAnswered(t *testing.T) {
	const token = "masto-e2e-token-0123456789"
	masto, err := mastodonsim.New(mastodonsim.Options{Token: token, BrandAcct: "acme", RateLimit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(masto.Close)
	mention := masto.Mention("jane", "@acme my card was charged twice, please help")
	found := masto.Post("bob", "Acme's app has been down all morning")
	masto.Post("acme", "Acme news: our app is back")
	masto.Post("carol", "Lovely weather in Kraków")
	r := listenRig(t, "  mastodon:\n    - name: brand\n      instance: "+masto.URL()+"\n      access_token_env: MASTODON_TOKEN\n      searches: [acme]\n",
		map[string]string{"MASTODON_TOKEN": token})
	r.start()
	r.waitPolled("mastodon:brand")
	r.wait("two tickets", func() bool { return len(r.roots()) == 2 })
	var janeN, bobN int
	for n := 1; n <= 2; n++ {
		root := r.root(n).Rendered()
		switch {
		case strings.Contains(root, "charged twice"):
			janeN = n
		case strings.Contains(root, "down all morning"):
			bobN = n
		}
		if !strings.Contains(root, "Replies are public") || !strings.Contains(root, "Mastodon") {
			t.Errorf("root #%d does not say its replies are public:\n%s", n, root)
		}
	}
	if janeN == 0 || bobN == 0 {
		t.Fatalf("the tickets are not the mention and the search's post (jane #%d, bob #%d)", janeN, bobN)
	}

	r.command("UALICE", "alice", fmt.Sprintf("claim %d", janeN))
	r.post("UALICE", r.root(janeN).TS, "Sorry Jane, we are refunding the second charge today.")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := masto.Wait(ctx, func() bool { return len(masto.Replies()) == 1 }); err != nil {
		t.Fatalf("no reply reached Mastodon: %v", err)
	}
	reply := masto.Replies()[0]
	if reply.InReplyToID != mention || reply.Visibility != "public" || reply.Status != "@jane Sorry Jane, we are refunding the second charge today." {
		t.Errorf("the reply on Mastodon: %+v", reply)
	}

	// Jane's ticket goes on in private: the replies under her post are
	// direct from then on.
	if got := r.command("UALICE", "alice", fmt.Sprintf("private %d", janeN)); !strings.Contains(got, "Moving #") {
		t.Errorf("/desk private: %q", got)
	}
	r.wait("the move to private", func() bool { return strings.Contains(r.threadText(r.root(janeN).TS), "goes on in private") })
	r.post("UALICE", r.root(janeN).TS, "Please send your order number.")
	if err := masto.Wait(ctx, func() bool {
		for _, rp := range masto.Replies() {
			if strings.Contains(rp.Status, "order number") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the private reply did not reach Mastodon: %v", err)
	}
	// The move is said in public under the post, then everything is direct.
	for i, rp := range masto.Replies()[1:] {
		if want := map[bool]string{true: "public", false: "direct"}[i == 0]; rp.Visibility != want || rp.InReplyToID != mention {
			t.Errorf("after /desk private, reply %d went %s under %s, want %s under the mention: %+v", i+2, rp.Visibility, rp.InReplyToID, want, rp)
		}
	}
	replies := len(masto.Replies())

	// Bob's post is answered by command: held once, then sent.
	if got := r.command("UBOB", "bob", fmt.Sprintf("reply %d We are on it, Bob.", bobN)); !strings.Contains(got, "your reply will be public too") {
		t.Errorf("first /desk reply to a public post: %q", got)
	}
	if got := r.command("UBOB", "bob", fmt.Sprintf("reply %d We are on it, Bob.", bobN)); !strings.Contains(got, "Sending your reply") {
		t.Errorf("the same /desk reply again: %q", got)
	}
	if err := masto.Wait(ctx, func() bool { return len(masto.Replies()) == replies+1 }); err != nil {
		t.Fatalf("the confirmed reply did not reach Mastodon: %v", err)
	}
	if reply := masto.Replies()[replies]; reply.InReplyToID != found || reply.Status != "@bob We are on it, Bob." {
		t.Errorf("the confirmed reply: %+v", reply)
	}
}

// threadText is everything shown in the thread of the root at ts.
func (r *rig) threadText(ts string) string {
	var b strings.Builder
	for _, m := range r.slack.Thread(ts) {
		b.WriteString(m.Rendered())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestBlueskySearchAnswered: a post the search finds, itself a reply in
// someone else's thread, opens a ticket; the brand's own post none. The
// owner's answer is a reply post whose parent is the customer's post and
// whose root is the thread's first post.
func TestBlueskySearchAnswered(t *testing.T) {
	const password = "abcd-efgh-ijkl-mnop"
	sky, err := blueskysim.New(blueskysim.Options{Handle: "acme.bsky.social", AppPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sky.Close)
	top := sky.Post("carol.bsky.social", "Is any bank in Sofia answering today?")
	found := sky.Reply("dave.bsky.social", top, "Acme bank froze my account, nobody answers", blueskysim.Langs("en"))
	sky.Post("acme.bsky.social", "Acme bank: our branches are open on Saturday")
	r := listenRig(t, "  bluesky:\n    - name: brand\n      handle: acme.bsky.social\n      service: "+sky.URL()+
		"\n      app_password_env: BLUESKY_APP_PASSWORD\n      searches: [acme]\n", map[string]string{"BLUESKY_APP_PASSWORD": password})
	r.start()
	r.waitPolled("bluesky:brand")
	r.wait("the found post's ticket", func() bool { return len(r.roots()) == 1 })
	root := r.root(1)
	if text := root.Rendered(); !strings.Contains(text, "froze my account") || !strings.Contains(text, "Replies are public") {
		t.Errorf("the root:\n%s", text)
	}
	r.command("UALICE", "alice", "claim 1")
	r.post("UALICE", root.TS, "Dave, we have unfrozen it; sorry for the wait.")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var reply blueskysim.Post
	if err := sky.Wait(ctx, func() bool {
		for _, p := range sky.BrandPosts() {
			if strings.Contains(p.Text, "unfrozen") {
				reply = p
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no reply reached Bluesky: %v", err)
	}
	if reply.Parent == nil || reply.Root == nil || reply.Parent.URI != found || reply.Root.URI != top {
		t.Errorf("the reply's references: parent %+v, root %+v; want parent %s, root %s", reply.Parent, reply.Root, found, top)
	}
	if len(r.roots()) != 1 {
		t.Errorf("%d tickets, want 1: the brand's own post opened one", len(r.roots()))
	}
}
