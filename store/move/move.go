// Package move copies a caredesk desk from its SQLite file into a
// PostgreSQL database, in one transaction, and checks the copy row by row
// before it commits (caredesk migrate). The bytes of the files it keeps
// go from their folder into the database first (files.go).
//
// Rows keep their ids, so ticket #N is still #N and an outbox id is still
// the idempotency key a network may have seen; each of PostgreSQL's
// sequences is then set past the largest number the file ever handed out,
// so the next ticket continues the numbering. The outbox's lanes and heads
// are not copied but built by PostgreSQL's own triggers as the deliveries
// and pauses go in, and then compared with the file's.
package move

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"caredesk/config"
	"caredesk/store/postgres"
	"caredesk/store/sqlite"
)

// Options say what to move where.
type Options struct {
	// From is the SQLite file of the desk.
	From string
	// To is the PostgreSQL database's URL.
	To string
	// EmptyTarget lets the move into a database that holds rows but no
	// ticket (what a caredesk started on it briefly leaves: de-duplication
	// keys, a greeting in the outbox): they are deleted first, in the same
	// transaction. A database that holds tickets is refused even so.
	EmptyTarget bool
	// Files is the folder the desk's files keep their bytes in
	// (CAREDESK_FILES_DIR of the caredesk on the file); "" is caredesk's
	// default, the folder next to From (config.FilesDir). It is only read.
	Files string
	// Progress, when not nil, hears a line as each table is copied.
	Progress io.Writer
}

// Count is how many rows of a table there are.
type Count struct {
	Table string
	Rows  int64
}

// Report is what a move did.
type Report struct {
	From string // the SQLite file, its absolute path
	To   string // user@host:port/database, never the password
	// Copied are the rows of each table, counted in both stores after the
	// copy and compared one by one, in the order they were copied.
	Copied []Count
	// Derived are the outbox's lanes and heads, which PostgreSQL built and
	// which match the file's.
	Derived []Count
	// Emptied are the rows deleted from the target first (EmptyTarget).
	Emptied []Count
	// NextTicket is the number the next ticket will get.
	NextTicket int64
	// FilesDir is the folder of files, its absolute path.
	FilesDir string
	// Files are the kept files whose bytes were copied from FilesDir into
	// the database, each read back equal, and FileBytes their bytes.
	Files     int64
	FileBytes int64
	// MissingFiles are the ids of files kept (stored) whose bytes were not
	// in FilesDir. Their records moved all the same; caredesk shows them
	// as no longer kept, as it would have on SQLite.
	MissingFiles []int64
}

// ErrNotEmpty is the error, wrapped in a sentence, of a target that
// already holds rows: nothing was written.
var ErrNotEmpty = errors.New("the PostgreSQL database is not empty")

// SQLiteToPostgres moves the desk in the SQLite file opts.From into the
// PostgreSQL database opts.To, all in one transaction, which is committed
// only once every row read back from PostgreSQL equals the file's. The
// bytes of the files the desk keeps go first, from opts.Files into the
// database's file store, each read back (files.go). On an error no row of
// the desk is in the target (though its schema may have been created, its
// sequences may have been moved past the file's numbers, which PostgreSQL
// never takes back, and bytes of files may be there that no file names,
// which caredesk removes: harmless).
//
// The file is opened as caredesk opens it, so a caredesk still running on it
// makes the move fail with a sentence, and none can start on it while the
// move runs; likewise the target is opened as one caredesk opens it
// (postgres.Alone). The file's schema is brought up to date first, as
// starting caredesk would.
func SQLiteToPostgres(ctx context.Context, opts Options) (Report, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if !strings.HasPrefix(opts.To, "postgres://") && !strings.HasPrefix(opts.To, "postgresql://") {
		return Report{}, errors.New("the target must be a PostgreSQL URL, postgres://user:password@host:5432/database")
	}
	path, err := sourceFile(opts.From)
	if err != nil {
		return Report{}, err
	}
	src, err := sqlite.Open(path)
	if errors.Is(err, sqlite.ErrEmptyFile) {
		return Report{}, fmt.Errorf("%s has 0 bytes: there is no desk in it to move. Point CAREDESK_DB (or --from) at the file caredesk has been running on", path)
	}
	if err != nil {
		return Report{}, fmt.Errorf("cannot read the desk: %w", err)
	}
	defer src.Close()
	// A pool of its own: the store's are not exported. It reads the file
	// the lock above keeps to this process, so nothing writes it meanwhile.
	reader, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_busy_timeout=5000&_query_only=1")
	if err != nil {
		return Report{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer reader.Close()
	// One transaction, so every read sees the same moment of the file.
	stx, err := reader.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer stx.Rollback()

	dir := opts.Files
	if dir == "" {
		dir = config.FilesDir(opts.From) // as caredesk on the file found it, before symbolic links
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	kept, err := keptFiles(ctx, stx)
	if err != nil {
		return Report{}, err
	}

	dst, err := postgres.Open(ctx, opts.To, postgres.Alone())
	if err != nil {
		return Report{}, fmt.Errorf("cannot use the PostgreSQL database: %w", err)
	}
	defer dst.Close()

	m := &mover{ctx: ctx, src: stx, progress: progress, emptyTarget: opts.EmptyTarget,
		report: Report{From: path, To: describe(opts.To), FilesDir: dir}}
	// copied is the bytes of files in the target, which no file names
	// there until the rows are in.
	copied := 0
	fail := func(err error) (Report, error) {
		if errors.Is(err, ErrNotEmpty) {
			return Report{}, err // says itself that nothing was written
		}
		if copied > 0 {
			return Report{}, fmt.Errorf("%w. No row was written to %s: the transaction was rolled back. %s", err, m.report.To, orphans(copied))
		}
		return Report{}, fmt.Errorf("%w. Nothing was written to %s: the transaction was rolled back", err, m.report.To)
	}
	// A target the move would refuse is refused before the bytes go in,
	// rather than after gigabytes were copied; and the bytes of a desk it
	// holds are never overwritten by the file's under the same keys. The
	// target stays as checked: Alone keeps every caredesk off it. Checked
	// before the folder, so that a second run says the desk is there even
	// once the folder is gone.
	if err := dst.Exclusive(ctx, func(t pgx.Tx) error {
		m.dst = t
		return m.check()
	}); err != nil {
		return fail(err)
	}
	found, missing, err := checkFolder(dir, kept)
	if err != nil {
		return Report{}, err // nothing written, and no transaction to speak of
	}
	m.report.MissingFiles = missing
	if len(found) > 0 {
		// Outside Exclusive: Blobs writes in transactions of its own, which
		// the write lock Exclusive holds would keep waiting.
		var n int64
		copied, n, err = copyFiles(ctx, dst.Blobs(0), dir, found, progress)
		if err != nil {
			if copied == 0 {
				return Report{}, fmt.Errorf("%w. Nothing was written to %s", err, m.report.To)
			}
			return Report{}, fmt.Errorf("%w. No row was written to %s. %s", err, m.report.To, orphans(copied))
		}
		m.report.Files, m.report.FileBytes = int64(copied), n
	}
	if len(missing) > 0 {
		fmt.Fprintf(progress, "missing from %s: the bytes of %s %s\n", dir, plural(len(missing), "file", "files"), IDList(missing))
	}
	err = dst.Exclusive(ctx, func(t pgx.Tx) error {
		m.dst = t
		return m.move()
	})
	if err != nil {
		return fail(err)
	}
	return m.report, nil
}

// sourceFile checks that path names an existing SQLite file and returns it
// absolute, symbolic links followed. The store would create a missing one,
// and then move an empty desk.
func sourceFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("name the SQLite file of the desk: set CAREDESK_DB to it, or pass --from")
	}
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		return "", errors.New("the desk to move must be a SQLite file, not a PostgreSQL URL: point CAREDESK_DB (or --from) at the file caredesk has been running on")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("there is no SQLite file at %s: point CAREDESK_DB (or --from) at the file caredesk has been running on", abs)
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the desk: %w", err)
	}
	if info.IsDir() {
		return "", fmt.Errorf("%s is a folder: point CAREDESK_DB (or --from) at the database file in it, such as %s", abs, filepath.Join(abs, "caredesk.db"))
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// describe writes the target as people read it, without the password.
func describe(dbURL string) string {
	c, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		return "the PostgreSQL database"
	}
	host := c.Host
	if !strings.HasPrefix(host, "/") {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		host += ":" + strconv.Itoa(int(c.Port))
	}
	return fmt.Sprintf("%s@%s/%s", c.User, host, c.Database)
}

// mover is one move under way: the file's read transaction, and the
// target's write transaction.
type mover struct {
	ctx         context.Context
	src         *sql.Tx
	dst         pgx.Tx
	progress    io.Writer
	emptyTarget bool
	report      Report
}

// check refuses, writing nothing, a target move would refuse.
func (m *mover) check() error {
	for _, t := range tables {
		if err := m.sameColumns(t); err != nil {
			return err
		}
	}
	held, err := m.held()
	if err != nil {
		return err
	}
	return m.refuse(held)
}

func (m *mover) move() error {
	for _, t := range tables {
		if err := m.sameColumns(t); err != nil {
			return err
		}
	}
	if err := m.makeRoom(); err != nil {
		return err
	}
	for _, t := range tables {
		if t.derived {
			continue
		}
		n, err := m.copy(t)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.progress, "copied %s: %d rows\n", t.name, n)
	}
	for _, t := range tables {
		n, err := m.compare(t)
		if err != nil {
			return err
		}
		c := Count{t.name, n}
		if t.derived {
			m.report.Derived = append(m.report.Derived, c)
		} else {
			m.report.Copied = append(m.report.Copied, c)
		}
	}
	fmt.Fprintf(m.progress, "compared every row with the file\n")
	// Last, just before the commit: a sequence moved is not taken back by
	// a rollback.
	for _, t := range tables {
		if !t.identity {
			continue
		}
		last, err := m.continueNumbers(t)
		if err != nil {
			return err
		}
		if t.name == "tickets" {
			m.report.NextTicket = last + 1
		}
	}
	return nil
}

// sameColumns checks that both stores' table t has exactly the columns
// this move copies: a column added by a later migration of one store
// would otherwise be left behind without a word.
func (m *mover) sameColumns(t table) error {
	want := make([]string, len(t.columns))
	for i, c := range t.columns {
		want[i] = c.name
	}
	slices.Sort(want)
	var inFile []string
	rows, err := m.src.QueryContext(m.ctx, `SELECT name FROM pragma_table_info(?)`, t.name)
	if err != nil {
		return fmt.Errorf("read the columns of %s in the SQLite file: %w", t.name, err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("read the columns of %s in the SQLite file: %w", t.name, err)
		}
		inFile = append(inFile, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the columns of %s in the SQLite file: %w", t.name, err)
	}
	targetRows, err := m.dst.Query(m.ctx, `SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, t.name)
	if err != nil {
		return fmt.Errorf("read the columns of %s in PostgreSQL: %w", t.name, err)
	}
	inTarget, err := pgx.CollectRows(targetRows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read the columns of %s in PostgreSQL: %w", t.name, err)
	}
	slices.Sort(inFile)
	slices.Sort(inTarget)
	for _, side := range []struct {
		where string
		got   []string
	}{{"the SQLite file", inFile}, {"PostgreSQL", inTarget}} {
		if !slices.Equal(side.got, want) {
			return fmt.Errorf("the table %s has the columns %s in %s, but this caredesk moves %s; "+
				"a caredesk whose two schemas differ cannot move a desk: use a released caredesk, or report this",
				t.name, strings.Join(side.got, ", "), side.where, strings.Join(want, ", "))
		}
	}
	return nil
}

// makeRoom refuses a target that holds rows, or with EmptyTarget deletes
// them when none is a ticket.
func (m *mover) makeRoom() error {
	held, err := m.held()
	if err != nil {
		return err
	}
	if err := m.refuse(held); err != nil || len(held) == 0 {
		return err
	}
	// Deliveries first: their triggers clear the lanes and heads. No
	// ticket means no message, event, file, timer or former thread (their
	// foreign keys, listings' too). A surge, a storm and its digests
	// belong to no ticket: a caredesk that led on the target for a while
	// may have recorded one.
	for _, name := range []string{"outbox", "outbox_pauses", "seen", "rota_changes", "surges", "digests", "storms"} {
		if _, err := m.dst.Exec(m.ctx, `DELETE FROM `+name); err != nil {
			return fmt.Errorf("empty %s in PostgreSQL: %w", name, err)
		}
	}
	m.report.Emptied = held
	fmt.Fprintf(m.progress, "deleted from the target first: %s\n", counts(held))
	return nil
}

// held counts the rows the target holds of each table copied, the tables
// with none left out.
func (m *mover) held() ([]Count, error) {
	var held []Count
	for _, t := range tables {
		if t.derived {
			continue
		}
		var n int64
		if err := m.dst.QueryRow(m.ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s in PostgreSQL: %w", t.name, err)
		}
		if n > 0 {
			held = append(held, Count{t.name, n})
		}
	}
	return held, nil
}

// refuse says why the move cannot go into a target holding held: always
// when that includes a ticket, and without EmptyTarget when it is anything.
func (m *mover) refuse(held []Count) error {
	if len(held) == 0 {
		return nil
	}
	if slices.ContainsFunc(held, func(c Count) bool { return c.Table == "tickets" }) {
		return fmt.Errorf("%w: %s holds %s. caredesk migrate moves a desk into an empty database only, and changed nothing. "+
			"If this desk was moved already, start caredesk with CAREDESK_DB set to that database's URL; to move it again, "+
			"drop the database and create it empty (or name another, empty one) and run caredesk migrate again",
			ErrNotEmpty, m.report.To, counts(held))
	}
	if !m.emptyTarget {
		return fmt.Errorf("%w: %s holds no ticket but %s, as a caredesk started on it for a while leaves. Nothing was changed. "+
			"If none of that needs keeping, run caredesk migrate again with --empty-target, which deletes those rows "+
			"in the same transaction as the move; otherwise name an empty database", ErrNotEmpty, m.report.To, counts(held))
	}
	return nil
}

// counts writes held for a sentence: "3 rows of seen and 1 of outbox".
func counts(held []Count) string {
	parts := make([]string, len(held))
	for i, c := range held {
		parts[i] = fmt.Sprintf("%d of %s", c.Rows, c.Table)
	}
	rows := "rows"
	if held[0].Rows == 1 {
		rows = "row"
	}
	parts[0] = fmt.Sprintf("%d %s of %s", held[0].Rows, rows, held[0].Table)
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// copy copies the file's table t into PostgreSQL with COPY, which writes
// the ids given into the identity columns (as OVERRIDING SYSTEM VALUE
// would) and fires the outbox's triggers row by row, in id order.
func (m *mover) copy(t table) (int64, error) {
	rows, err := m.src.QueryContext(m.ctx, t.sourceQuery())
	if err != nil {
		return 0, fmt.Errorf("read %s from the SQLite file: %w", t.name, err)
	}
	defer rows.Close()
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	from := &fileRows{t: t, rows: rows}
	n, err := m.dst.CopyFrom(m.ctx, pgx.Identifier{t.name}, names, from)
	if from.err != nil {
		return 0, from.err // the sentence, not PostgreSQL's report that COPY was stopped
	}
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", t.name, err)
	}
	return n, nil
}

// fileRows hands the file's rows of t to CopyFrom.
type fileRows struct {
	t    table
	rows *sql.Rows
	vals []any
	err  error
}

func (r *fileRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	row, err := r.t.scanSource(r.rows)
	if err != nil {
		r.err = err
		return false
	}
	r.vals = r.t.targetValues(row)
	return true
}

func (r *fileRows) Values() ([]any, error) { return r.vals, nil }

func (r *fileRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// compare counts t's rows in both stores and reads them side by side, in
// key order: the same rows, with the same values.
func (m *mover) compare(t table) (int64, error) {
	var inFile, inTarget int64
	if err := m.src.QueryRowContext(m.ctx, `SELECT count(*) FROM `+t.name).Scan(&inFile); err != nil {
		return 0, fmt.Errorf("count %s in the SQLite file: %w", t.name, err)
	}
	if err := m.dst.QueryRow(m.ctx, `SELECT count(*) FROM `+t.name).Scan(&inTarget); err != nil {
		return 0, fmt.Errorf("count %s in PostgreSQL: %w", t.name, err)
	}
	if inFile != inTarget {
		return 0, fmt.Errorf("the SQLite file has %d rows of %s but PostgreSQL has %d after the copy", inFile, t.name, inTarget)
	}
	a, err := m.src.QueryContext(m.ctx, t.sourceQuery())
	if err != nil {
		return 0, fmt.Errorf("read %s from the SQLite file: %w", t.name, err)
	}
	defer a.Close()
	b, err := m.dst.Query(m.ctx, t.targetQuery())
	if err != nil {
		return 0, fmt.Errorf("read %s back from PostgreSQL: %w", t.name, err)
	}
	defer b.Close()
	var n int64
	for {
		moreA, moreB := a.Next(), b.Next()
		if !moreA || !moreB {
			if err := errors.Join(a.Err(), b.Err()); err != nil {
				return 0, fmt.Errorf("compare %s: %w", t.name, err)
			}
			if moreA != moreB {
				return 0, fmt.Errorf("the rows of %s differ in number between the SQLite file and PostgreSQL after %d equal ones", t.name, n)
			}
			return n, nil
		}
		ra, err := t.scanSource(a)
		if err != nil {
			return 0, err
		}
		rb, err := t.scanTarget(b)
		if err != nil {
			return 0, err
		}
		if d := t.difference(ra, rb); d != "" {
			what := "copied"
			if t.derived {
				what = "built by PostgreSQL's triggers"
			}
			return 0, fmt.Errorf("%s %s differs after it was %s: %s", t.name, show(t.columns[0].kind, ra[0]), what, d)
		}
		n++
	}
}

// continueNumbers sets t's identity sequence to the last number the file
// handed out, which AUTOINCREMENT keeps in sqlite_sequence even after the
// row that had it was deleted (a delivery done, a timer fired), unless the
// target's sequence is further already. It returns that last number.
func (m *mover) continueNumbers(t table) (int64, error) {
	var fileMax, fileSeq int64
	if err := m.src.QueryRowContext(m.ctx, `SELECT COALESCE(max(id), 0) FROM `+t.name).Scan(&fileMax); err != nil {
		return 0, fmt.Errorf("read the largest id of %s: %w", t.name, err)
	}
	err := m.src.QueryRowContext(m.ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, t.name).Scan(&fileSeq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read the last id of %s: %w", t.name, err)
	}
	var target int64
	if err := m.dst.QueryRow(m.ctx, `SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0)`,
		t.name).Scan(&target); err != nil {
		return 0, fmt.Errorf("read the sequence of %s in PostgreSQL: %w", t.name, err)
	}
	last := max(fileMax, fileSeq, target)
	if last == 0 {
		return 0, nil // nothing handed out yet: the sequence starts at 1
	}
	var set int64
	if err := m.dst.QueryRow(m.ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, t.name, last).Scan(&set); err != nil {
		return 0, fmt.Errorf("set the sequence of %s in PostgreSQL: %w", t.name, err)
	}
	if set != last {
		return 0, fmt.Errorf("the sequence of %s in PostgreSQL is at %d after it was set to %d", t.name, set, last)
	}
	return last, nil
}
