package main

import (
	"fmt"
	"testing"
	"time"
)

// TestReadable checks the demo shows Slack text as a person reads it in
// Slack, not the markup caredesk sends.
func TestReadable(t *testing.T) {
	names := map[string]string{"UALICE": "alice", "C0ROCARE": "ro-care"}
	in2h := time.Now().Add(2 * time.Hour).Unix()
	ago3d := time.Now().Add(-72 * time.Hour).Unix()
	tests := []struct{ in, want string }{
		{"answer due <!date^1796537280^{date_short_pretty} {time}|2026-12-06 06:08 UTC>", "answer due 2026-12-06 06:08 UTC"},
		{fmt.Sprintf("due <!date^%d^{ago}|2026-12-06 06:08 UTC>", in2h), "due in 2 hours"},
		{fmt.Sprintf("<!date^%d^{ago}^https://x.example|then>", ago3d), "3 days ago"},
		{"*Jane Doe (@jane_doe)* wrote:", "Jane Doe (@jane_doe) wrote:"},
		{"> Hi, my order\n> is late", "▎ Hi, my order\n▎ is late"},
		{"Claimed by <@UALICE>, not <@UX|carol> or <@UNOBODY>.", "Claimed by @alice, not @carol or @UNOBODY."},
		{"&lt;!channel&gt; can anyone help? <!here>", "<!channel> can anyone help? @here"},
		{"see <https://example.com/a?b=1&amp;c=2|the order> in <#C0ROCARE>", "see the order in #ro-care"},
		{":heavy_check_mark: delivered, :rotating_light: *overdue*", "✔️ delivered, 🚨 overdue"},
		{"@alice → customer _(edited)_: ~old~ `/desk claim 1`", "@alice → customer (edited): old /desk claim 1"},
		{"2*3*4, snake_case_name, * not bold *, :unknown_code:", "2*3*4, snake_case_name, * not bold *, :unknown_code:"},
		{"&amp;lt;b&amp;gt; &amp; @\u2060channel", "&lt;b&gt; & @channel"},
	}
	for _, tt := range tests {
		if got := readable(tt.in, names); got != tt.want {
			t.Errorf("readable(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
