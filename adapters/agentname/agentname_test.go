package agentname_test

import (
	"fmt"
	"testing"
	"time"

	"caredesk/adapters/agentname"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in        string
		firstWord bool
		want      string
	}{
		{"Ayşe Yılmaz", true, "Ayşe"},
		{"Mary Ann", false, "Mary Ann"},
		{"<@U123> Łukasz :wave:", true, "Łukasz"},
		{"🌟 - Ștefan", true, "Ștefan"},
		{"Светла\u0007", true, "Светла"},
		{"🙂", true, ""},
		{"AbcdefghijabcdefghijabcdefghijabcdefghijXYZ", true, "Abcdefghijabcdefghijabcdefghijabcdefghij"},
	}
	for _, tt := range tests {
		if got := agentname.Clean(tt.in, tt.firstWord); got != tt.want {
			t.Errorf("Clean(%q, %v) = %q, want %q", tt.in, tt.firstWord, got, tt.want)
		}
	}
}

func TestCache(t *testing.T) {
	var c agentname.Cache
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	c.Put("U1", "Ayşe", now)
	if name, ok := c.Get("U1", now.Add(9*time.Minute)); !ok || name != "Ayşe" {
		t.Errorf("after 9 min: %q %v", name, ok)
	}
	if _, ok := c.Get("U1", now.Add(agentname.TTL)); ok {
		t.Error("a name older than the TTL is still trusted")
	}
	for i := range agentname.MaxKept + 1 {
		c.Put(fmt.Sprint("V", i), "x", now.Add(time.Duration(i)*time.Millisecond))
	}
	if _, ok := c.Get("V0", now.Add(time.Second)); ok {
		t.Error("the oldest name was kept past MaxKept")
	}
	if _, ok := c.Get(fmt.Sprint("V", agentname.MaxKept), now.Add(time.Second)); !ok {
		t.Error("the newest name was dropped")
	}
}
