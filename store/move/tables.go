package move

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// kind is how a column is kept in each store.
type kind byte

const (
	text   kind = 't' // TEXT ↔ text
	number kind = 'i' // INTEGER ↔ integer, bigint
	float  kind = 'f' // REAL ↔ double precision: both the same 8-byte floating point
	moment kind = 'm' // unix microseconds, NULL the zero time ↔ timestamptz, NULL
	due    kind = 'd' // unix microseconds, the smallest integer the zero time ↔ timestamptz, -infinity (the outbox's heads, lanes, pauses)
	flag   kind = 'b' // INTEGER 0 or 1 ↔ boolean
	doc    kind = 'j' // JSON in TEXT ↔ jsonb
)

type column struct {
	name string
	kind kind
}

// table is one of caredesk's tables, as both stores keep it: the same name
// and the same columns (see store/sqlite/migrations and
// store/postgres/migrations).
type table struct {
	name    string
	key     string // the primary key: the order rows are copied and compared in
	columns []column
	// identity: key is an id that PostgreSQL hands out from a sequence,
	// which must go on from the SQLite file's numbers.
	identity bool
	// derived: built by PostgreSQL's triggers from the outbox as it is
	// filled, so compared with the file's, not copied.
	derived bool
}

// cols reads "name kind, name kind, …", kind one of the letters above.
func cols(spec string) []column {
	var cs []column
	for f := range strings.SplitSeq(spec, ",") {
		name, k, ok := strings.Cut(strings.TrimSpace(f), " ")
		if !ok || !strings.Contains("tifmdbj", k) || len(k) != 1 {
			panic("move: bad column " + f)
		}
		cs = append(cs, column{name, kind(k[0])})
	}
	return cs
}

// tables are copied in this order, which the foreign keys allow: tickets
// before what belongs to them, and the outbox before its pauses, so that
// the triggers build the queue heads from the deliveries and then move
// them by the pauses, as they did in the file. The derived ones come last.
var tables = []table{
	{name: "tickets", key: "id", identity: true, columns: cols(`id i, source t, conversation t, customer_id t,
		customer_name t, customer_handle t, customer_profile_url t, customer_followers i, network t, post_url t,
		language t, text t, state t, owner_id t, owner_name t, handovers i, reopens i, desk_thread t,
		last_inbound t, opened_at m, deadline m, first_reply_at m, first_reply_by t, first_reply_by_name t,
		resolved_at m, updated_at m, rating_asked_at m, rating i, rated_at m, private b, time_zone t, phone t,
		blocked b, team t, routed t, channel t, moves i`)},
	{name: "messages", key: "id", identity: true, columns: cols(`id i, ticket_id i, kind t, author t,
		author_name t, text t, source_ref t, desk_ref t, status t, reason t, at m, original t, edited_at m,
		deleted_at m`)},
	{name: "events", key: "id", identity: true, columns: cols(`id i, ticket_id i, kind t, actor t, detail t, at m`)},
	{name: "attachments", key: "id", identity: true, columns: cols(`id i, message_id i, ticket_id i, kind t,
		name t, mime t, size i, origin_by t, origin t, stored b, ref t, state t, reason t, done_at m`)},
	{name: "timers", key: "id", identity: true, columns: cols(`id i, ticket_id i, alarm t, share i, due_at m`)},
	{name: "former_threads", key: "thread", columns: cols(`thread t, ticket_id i`)},
	{name: "rota_changes", key: "id", identity: true, columns: cols(`id i, kind t, by_agent t, at m, summary t,
		overrides j, undone_at m, team t`)},
	{name: "surges", key: "id", identity: true, columns: cols(`id i, source t, started_at m, ended_at m, peak i,
		usual f, about t`)},
	{name: "storms", key: "id", identity: true, columns: cols(`id i, started_at m, ended_at m`)},
	{name: "digests", key: "id", identity: true, columns: cols(`id i, storm_id i, number i, channel t, ref t,
		shown t, tried b, created_at m`)},
	{name: "listings", key: "ticket_id", columns: cols(`ticket_id i, storm_id i, message_id i, channel t,
		urgent b, first_ref t, digest_id i, line i, parked_at m, released_at m`)},
	{name: "seen", key: "key", columns: cols(`key t, at m`)},
	{name: "outbox", key: "id", identity: true, columns: cols(`id i, destination t, job t, ticket_id i,
		message_id i, agent t, source t, conversation t, text t, attempts i, next_at m, created_at m,
		last_error t`)},
	{name: "outbox_pauses", key: "destination", columns: cols(`destination t, until d`)},
	{name: "outbox_lanes", key: "id", derived: true, columns: cols(`id i, destination t, ticket_id i, next_at d`)},
	{name: "outbox_heads", key: "id", derived: true, columns: cols(`id i, destination t, next_at d`)},
}

func (t table) names() string {
	ns := make([]string, len(t.columns))
	for i, c := range t.columns {
		ns[i] = c.name
	}
	return strings.Join(ns, ", ")
}

// sourceQuery reads the file's rows in key order. SQLite compares text
// byte by byte, as PostgreSQL's "C" collation does.
func (t table) sourceQuery() string {
	return fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`, t.names(), t.name, t.key)
}

// targetQuery reads PostgreSQL's rows in the order of sourceQuery,
// whatever the database's collation.
func (t table) targetQuery() string {
	order := t.key
	if t.columns[0].kind == text {
		order += ` COLLATE "C"`
	}
	return fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`, t.names(), t.name, order)
}

// A row is read from either store into plain values, so that the two can be
// compared and the file's written to PostgreSQL: text and doc a string
// (doc's JSON in one spelling), number an int64, float a float64 (compared
// exactly: both keep the same 8 bytes, and the file keeps no NaN), flag a bool,
// moment nil (the zero time) or an int64 of unix microseconds, due an int64
// with math.MinInt64 the zero time.

// scanSource reads the current row of the file's table.
func (t table) scanSource(rows *sql.Rows) ([]any, error) {
	dest := make([]any, len(t.columns))
	for i, c := range t.columns {
		switch c.kind {
		case text, doc:
			dest[i] = new(string)
		case number, flag:
			dest[i] = new(int64)
		case float:
			dest[i] = new(float64)
		case moment, due:
			dest[i] = new(sql.NullInt64)
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("read %s from the SQLite file: %w", t.name, err)
	}
	row := make([]any, len(t.columns))
	for i, c := range t.columns {
		if s, ok := dest[i].(*string); ok && (!utf8.ValidString(*s) || strings.ContainsRune(*s, 0)) {
			return nil, fmt.Errorf("%s %s: the column %s holds bytes that are not UTF-8 text (or a NUL byte), which PostgreSQL cannot keep; "+
				"mend that row in the SQLite file and run again", t.name, rowKey(dest[0]), c.name)
		}
	}
	for i, c := range t.columns {
		switch c.kind {
		case text:
			row[i] = *dest[i].(*string)
		case doc:
			s, err := canonicalJSON(*dest[i].(*string))
			if err != nil {
				return nil, fmt.Errorf("%s %s: the column %s holds no valid JSON (%v); PostgreSQL keeps it as jsonb, so mend that row in the SQLite file and run again",
					t.name, rowKey(dest[0]), c.name, err)
			}
			row[i] = s
		case number:
			row[i] = *dest[i].(*int64)
		case float:
			row[i] = *dest[i].(*float64)
		case flag:
			row[i] = *dest[i].(*int64) != 0
		case moment:
			if v := *dest[i].(*sql.NullInt64); v.Valid {
				row[i] = v.Int64
			} else {
				row[i] = nil
			}
		case due:
			// NULL was the zero time before the lanes (migration 0005).
			if v := *dest[i].(*sql.NullInt64); v.Valid {
				row[i] = v.Int64
			} else {
				row[i] = int64(math.MinInt64)
			}
		}
	}
	return row, nil
}

// rowKey names a row by its key, scanned into p, for a sentence.
func rowKey(p any) string {
	switch p := p.(type) {
	case *int64:
		return strconv.FormatInt(*p, 10)
	case *string:
		return show(text, *p)
	}
	return "?"
}

// scanTarget reads the current row of PostgreSQL's table.
func (t table) scanTarget(rows pgx.Rows) ([]any, error) {
	dest := make([]any, len(t.columns))
	for i, c := range t.columns {
		switch c.kind {
		case text:
			dest[i] = new(string)
		case doc:
			dest[i] = new([]byte)
		case number:
			dest[i] = new(int64)
		case float:
			dest[i] = new(float64)
		case flag:
			dest[i] = new(bool)
		case moment, due:
			dest[i] = new(pgtype.Timestamptz)
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("read %s back from PostgreSQL: %w", t.name, err)
	}
	row := make([]any, len(t.columns))
	for i, c := range t.columns {
		switch c.kind {
		case text:
			row[i] = *dest[i].(*string)
		case doc:
			s, err := canonicalJSON(string(*dest[i].(*[]byte)))
			if err != nil {
				return nil, fmt.Errorf("read %s back from PostgreSQL: %w", t.name, err)
			}
			row[i] = s
		case number:
			row[i] = *dest[i].(*int64)
		case float:
			row[i] = *dest[i].(*float64)
		case flag:
			row[i] = *dest[i].(*bool)
		case moment, due:
			v := *dest[i].(*pgtype.Timestamptz)
			switch {
			case !v.Valid:
				row[i] = nil
			case v.InfinityModifier == pgtype.NegativeInfinity && c.kind == due:
				row[i] = int64(math.MinInt64)
			case v.InfinityModifier != pgtype.Finite:
				row[i] = v.InfinityModifier.String() // differs from any value of the file
			default:
				row[i] = v.Time.UnixMicro()
			}
		}
	}
	return row, nil
}

// targetValues are row's values as PostgreSQL's columns take them.
func (t table) targetValues(row []any) []any {
	vs := make([]any, len(row))
	for i, c := range t.columns {
		switch c.kind {
		case moment:
			if row[i] != nil {
				vs[i] = time.UnixMicro(row[i].(int64)).UTC()
			}
		case due:
			if v := row[i].(int64); v == math.MinInt64 {
				vs[i] = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
			} else {
				vs[i] = time.UnixMicro(v).UTC()
			}
		default:
			vs[i] = row[i]
		}
	}
	return vs
}

// difference names the first column in which a and b, rows of t, differ;
// "" when they are the same.
func (t table) difference(a, b []any) string {
	for i, c := range t.columns {
		if a[i] != b[i] {
			return fmt.Sprintf("%s is %s in the SQLite file but %s in PostgreSQL", c.name, show(c.kind, a[i]), show(c.kind, b[i]))
		}
	}
	return ""
}

// show writes a value of a row for a sentence, briefly.
func show(k kind, v any) string {
	switch v := v.(type) {
	case nil:
		return "empty"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int64:
		if k == moment || k == due {
			if v == math.MinInt64 {
				return "the zero time"
			}
			return time.UnixMicro(v).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
		}
		return strconv.FormatInt(v, 10)
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

// canonicalJSON spells the JSON document s one way: jsonb keeps neither
// the file's spaces nor the order of its keys.
func canonicalJSON(s string) (string, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	if d.More() {
		return "", fmt.Errorf("more than one JSON value")
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(numbers(v)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// numbers replaces JSON numbers by int64 or float64, so that 1e3 and 1000
// are spelled alike.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return v
}
