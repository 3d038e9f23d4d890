package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"172.32.0.1", true},
		{"100.128.0.1", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"127.0.0.1", false},
		{"127.9.9.9", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // a cloud's metadata service
		{"100.64.0.1", false},      // carrier-grade NAT
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"192.0.2.1", false},
		{"::", false},
		{"::1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false},        // IPv4-compatible
		{"64:ff9b::a00:1", false},     // NAT64 of 10.0.0.1
		{"2002:c0a8:101::1", false},   // 6to4 of 192.168.1.1
		{"2002:808:808::1", true},     // 6to4 of 8.8.8.8
		{"2001:db8::1", false},        // documentation
		{"fe80::1%eth0", false},       // with a zone
		{"::ffff:100.64.0.1", false},  // mapped CGNAT
		{"::ffff:0.0.0.0", false},     // mapped unspecified
		{"::ffff:224.0.0.251", false}, // mapped multicast
	}
	for _, tc := range tests {
		if got := webhook.PublicAddr(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("PublicAddr(%s) = %v, want %v", tc.addr, got, tc.public)
		}
	}
}

// attachmentHost serves complaint attachments on loopback, as a forum
// would, and counts the requests.
func attachmentHost(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /media/receipt.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("\xff\xd8 a receipt"))
	})
	mux.HandleFunc("GET /hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			http.Redirect(w, r, "/media/receipt.jpg", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("GET /to/private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1:8080/media/receipt.jpg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /to/mapped", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://[::ffff:169.254.169.254]/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("GET /to/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("GET /big.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5242880")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// onlyTheTestHost lets Fetch reach 127.0.0.1, where the test's servers
// listen, and nothing else.
func onlyTheTestHost(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }

func TestFetchReachesPublicHostsOnly(t *testing.T) {
	host, hits := attachmentHost(t)
	strict, _ := newClient(t, "", webhook.ClientOptions{})
	test, _ := newClient(t, "", webhook.ClientOptions{AllowAddr: onlyTheTestHost, MaxFile: 1 << 20})
	tests := []struct {
		name      string
		client    *webhook.Client
		origin    string
		want      string // the bytes; "" for an error
		permanent bool
		says      string
		hits      int32 // requests that reached the host
	}{
		{"loopback, by default", strict, host.URL + "/media/receipt.jpg", "", true, "public addresses only", 0},
		{"loopback by name, by default", strict, strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/media/receipt.jpg", "", true, "public addresses only", 0},
		{"loopback, when the test allows it", test, host.URL + "/media/receipt.jpg", "\xff\xd8 a receipt", false, "", 1},
		{"three redirects", test, host.URL + "/hop/2", "\xff\xd8 a receipt", false, "", 4},
		{"four redirects", test, host.URL + "/hop/3", "", true, "redirects more than 3 times", 4},
		{"a redirect to a private address", test, host.URL + "/to/private", "", true, "leads to 10.0.0.1:8080, which is not a public internet address", 1},
		{"a redirect to a mapped metadata address", test, host.URL + "/to/mapped", "", true, "public addresses only", 1},
		{"a redirect out of http", test, host.URL + "/to/file", "", true, "fetches only http(s)", 1},
		{"a file not there", test, host.URL + "/gone.png", "", true, "X (Twitter) answered 404 for the attachment at http://127.0.0.1:", 1},
		{"a file over the cap", test, host.URL + "/big.zip", "", true, "is 5.0 MB, larger than the 1.0 MB caredesk takes per file (files: max_file)", 1},
		{"the host failing", test, host.URL + "/boom", "", false, "answered 502", 1},
		{"the host busy", test, host.URL + "/busy", "", false, "answered 429", 1},
		{"not http", test, "file:///etc/passwd", "", true, "not an http(s) URL", 0},
		{"no host", test, "https:///x.png", "", true, "not an http(s) URL", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			body, err := tc.client.Fetch(testContext(t), bot.Attachment{ID: 1, From: "webhook:twitter", Origin: tc.origin})
			if got := hits.Load() - before; got != tc.hits {
				t.Errorf("the host got %d requests, want %d", got, tc.hits)
			}
			if tc.want != "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				defer body.Close()
				if b, _ := io.ReadAll(body); string(b) != tc.want {
					t.Errorf("fetched %q, want %q", b, tc.want)
				}
				return
			}
			if err == nil {
				body.Close()
				t.Fatal("Fetch succeeded")
			}
			t.Log(err)
			if bot.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Fetch: %v (permanent %v), want permanent=%v saying %q", err, bot.IsPermanent(err), tc.permanent, tc.says)
			}
			if strings.Contains(err.Error(), "/media/") || strings.Contains(err.Error(), "/hop/") {
				t.Errorf("the error shows the attachment's path, which may hold a token: %v", err)
			}
		})
	}
}

func TestFetchTimesOut(t *testing.T) {
	if webhook.FetchTimeout != 30*time.Second {
		t.Errorf("FetchTimeout is %s, want 30s", webhook.FetchTimeout)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, _ := newClient(t, "", webhook.ClientOptions{AllowAddr: onlyTheTestHost})
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	_, err := c.Fetch(ctx, bot.Attachment{Origin: srv.URL + "/slow.jpg"})
	if err == nil || bot.IsPermanent(err) || !strings.Contains(err.Error(), "it will be tried again") {
		t.Errorf("a host that does not answer: %v, want a temporary error", err)
	}
}

func TestComplaintAttachmentsBecomeFilesWhenTheSourceFetchesThem(t *testing.T) {
	urls := []string{
		"https://pbs.example.com/media/receipt.JPG",
		"https://forum.example.com/files/a%20b.pdf?token=s3cr3t",
		"https://cdn.example.com/",
		"https://cdn.example.com/img/pic.webp#frag",
		"https://cdn.example.com/dl/%2E%2E",
		"https://cdn.example.com/v/clip.gif.exe",
	}
	want := []bot.Attachment{
		{Kind: bot.FilePhoto, Name: "receipt.JPG", From: "webhook:twitter", Origin: urls[0]},
		{Kind: bot.FileDocument, Name: "a b.pdf", From: "webhook:twitter", Origin: urls[1]},
		{Kind: bot.FileDocument, Name: "attachment", From: "webhook:twitter", Origin: urls[2]},
		{Kind: bot.FilePhoto, Name: "pic.webp", From: "webhook:twitter", Origin: urls[3]},
		{Kind: bot.FileDocument, Name: "attachment", From: "webhook:twitter", Origin: urls[4]},
		{Kind: bot.FileDocument, Name: "clip.gif.exe", From: "webhook:twitter", Origin: urls[5]},
	}
	for _, fetch := range []bool{false, true} {
		rec := newReceiver()
		srv := httptest.NewServer(webhook.Handler(webhook.Options{
			Sources:  []webhook.Source{{Name: "twitter", Secret: twitterSecret, FetchAttachments: fetch}},
			Receiver: rec, Reporter: &reporter{}, Now: func() time.Time { return start },
		}))
		bridge := startBridge(t, twitterSecret)
		status, body, err := bridge.SendComplaint(srv.URL, "twitter", bridgesim.Complaint{ID: "tw-1", Author: bridgesim.Author{ID: "u1"}, Text: "see the photos", Attachments: urls})
		srv.Close()
		if err != nil || status != http.StatusAccepted {
			t.Fatalf("%d %s %v", status, body, err)
		}
		_, stored := rec.got()
		if len(stored) != 1 || !reflect.DeepEqual(stored[0].Attachments, urls) {
			t.Fatalf("stored %+v: the links must stay", stored)
		}
		switch got := stored[0].Files; {
		case !fetch && got != nil:
			t.Errorf("a source that does not fetch attachments made files of them: %+v", got)
		case fetch && !reflect.DeepEqual(got, want):
			t.Errorf("files %+v\nwant %+v", got, want)
		}
	}
}
