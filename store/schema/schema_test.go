package schema_test

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"caredesk/store/schema"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string // the versions read, or the error's text
	}{
		{"in order", []string{"0001_init.sql", "0002_reach.sql", "0003_timers.sql"}, "1 2 3"},
		{"a gap", []string{"0001_init.sql", "0003_timers.sql"}, "migration 0003_timers.sql: want number 0002"},
		{"a number twice", []string{"0001_init.sql", "0001_again.sql"}, "want number 0002"},
		{"no number", []string{"0001_init.sql", "later.sql"}, "migration later.sql: want number 0002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("-- " + f)}
			}
			ms, err := schema.Read(fsys, "migrations")
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Read: %v, want %q", err, tt.want)
				}
				return
			}
			for _, m := range ms {
				if m.SQL != "-- "+m.Name {
					t.Errorf("%s holds %q", m.Name, m.SQL)
				}
			}
			if vs := versions(ms); vs != tt.want {
				t.Errorf("versions %q, want %q", vs, tt.want)
			}
		})
	}
}

func versions(ms []schema.Migration) string {
	var s []string
	for _, m := range ms {
		s = append(s, strconv.Itoa(m.Version))
	}
	return strings.Join(s, " ")
}
