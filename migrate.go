package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"caredesk/bot"
	"caredesk/config"
	"caredesk/store/move"
)

const migrateUsage = `Usage: caredesk migrate --to postgres://user:password@host:5432/database [--from FILE] [--files DIR] [--empty-target]

Moves the desk in a SQLite file into PostgreSQL: tickets, messages, events,
the records of files, the outbox (and its paused destinations), timers, rota
changes, de-duplication keys and the ticket numbering (the next ticket
continues from the file's last). It all goes in one transaction, and before
the commit every row is read back from PostgreSQL and compared with the
file; any difference rolls it all back. It prints the rows it checked.

The bytes of the files the desk keeps go first, from their folder into the
database, where caredesk on PostgreSQL keeps them; each is read back and
compared. A file whose bytes are not in the folder is named in a warning
and moves without them (caredesk shows it as no longer kept); a folder
that is not there, or whose files differ in size from the desk's records,
stops the move.

Stop caredesk first: the file is refused while a caredesk runs on it, and so
is a database a caredesk runs on. The file's schema is brought up to date,
as starting caredesk would; nothing else in it changes. The database's
schema is created if it has none.

Flags:
  --to URL        the PostgreSQL database to move the desk into (required);
                  it must hold no rows of caredesk's yet
  --from FILE     the SQLite file (default: CAREDESK_DB, else caredesk.db)
  --files DIR     the folder the file's caredesk kept the bytes of files in
                  (default: CAREDESK_FILES_DIR, else the folder next to the
                  SQLite file: caredesk.db → caredesk-files); only read
  --empty-target  move into a database that holds rows but no ticket (what a
                  caredesk started on it for a while leaves: de-duplication
                  keys, a greeting waiting in the outbox), deleting those rows
                  in the same transaction; a database that holds tickets is
                  refused even so

Then start caredesk with CAREDESK_DB set to the URL, and without
CAREDESK_FILES_DIR: the files are in the database now. Running it twice is
safe: the second run finds the tickets there, is refused, and changes
nothing.

Exit status: 0 when the desk was moved, 1 when it was not, 2 for wrong flags.
`

// migrate is caredesk migrate: the SQLite desk into PostgreSQL (store/move).
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caredesk migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the errors are said below, in a sentence
	to := fs.String("to", "", "")
	from := fs.String("from", "", "")
	files := fs.String("files", "", "")
	emptyTarget := fs.Bool("empty-target", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, migrateUsage)
			return 0
		}
		fmt.Fprintf(stderr, "caredesk migrate: %v.\n\n%s", err, migrateUsage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "caredesk migrate: unexpected %q: it takes only flags.\n\n%s", fs.Arg(0), migrateUsage)
		return 2
	}
	if *to == "" {
		fmt.Fprintf(stderr, "caredesk migrate: say where to move the desk with --to postgres://user:password@host:5432/database.\n\n%s", migrateUsage)
		return 2
	}
	if !config.Postgres(*to) {
		fmt.Fprintf(stderr, "caredesk migrate: --to takes a PostgreSQL URL, postgres://user:password@host:5432/database (or postgresql://…).\n")
		return 2
	}
	target, err := config.PGPassword(getenv, *to, "--to")
	if err != nil {
		fmt.Fprintf(stderr, "caredesk migrate: %s.\n", err)
		return 2
	}
	source := strings.TrimSpace(*from)
	if source == "" {
		db, err := config.Lookup(getenv, "CAREDESK_DB")
		if err != nil {
			fmt.Fprintf(stderr, "caredesk migrate: %s.\n", err)
			return 2
		}
		source = strings.TrimSpace(db)
		if config.Postgres(source) {
			fmt.Fprintf(stderr, "caredesk migrate: CAREDESK_DB names a PostgreSQL database already; "+
				"set it to the SQLite file caredesk has been running on, or pass --from FILE.\n")
			return 2
		}
	}
	if source == "" {
		source = "caredesk.db" // as caredesk itself (config.Load)
	}

	dir := strings.TrimSpace(*files)
	if dir == "" {
		dir = filesDir(getenv, source)
	}

	report, err := move.SQLiteToPostgres(ctx, move.Options{From: source, To: target, EmptyTarget: *emptyTarget,
		Files: dir, Progress: stdout})
	if err != nil {
		fmt.Fprintf(stderr, "caredesk migrate: the desk was not moved: %v\n", err)
		return 1
	}
	writeMoveReport(stdout, report)
	return 0
}

// filesDir is the folder the desk's files are kept in, as caredesk on the
// SQLite file found it.
func filesDir(getenv func(string) string, db string) string {
	if dir := strings.TrimSpace(getenv("CAREDESK_FILES_DIR")); dir != "" {
		return dir
	}
	return config.FilesDir(db)
}

// tableLabels say what a table holds, for the report.
var tableLabels = map[string]string{
	"tickets":        "tickets",
	"messages":       "messages",
	"events":         "events of tickets",
	"attachments":    "files (their records)",
	"timers":         "timers",
	"rota_changes":   "rota changes",
	"seen":           "de-duplication keys",
	"outbox":         "deliveries waiting",
	"outbox_pauses":  "paused destinations",
	"outbox_lanes":   "lanes of the outbox",
	"outbox_heads":   "destinations of the outbox",
	"former_threads": "threads tickets left for another team's",
	"surges":         "surges of complaints, for the digests",
}

func writeMoveReport(w io.Writer, r move.Report) {
	fmt.Fprintf(w, "\nMoved the desk in %s to PostgreSQL %s.\n", r.From, r.To)
	if len(r.Emptied) > 0 {
		fmt.Fprintln(w, "Deleted from the database first (--empty-target):")
		for _, c := range r.Emptied {
			fmt.Fprintf(w, "  %-14s %9d  %s\n", c.Table, c.Rows, tableLabels[c.Table])
		}
	}
	fmt.Fprintln(w, "Counted in both and compared row by row before the commit:")
	for _, c := range r.Copied {
		fmt.Fprintf(w, "  %-14s %9d  %s\n", c.Table, c.Rows, tableLabels[c.Table])
	}
	fmt.Fprintln(w, "Built by PostgreSQL from the outbox, and equal to the file's:")
	for _, c := range r.Derived {
		fmt.Fprintf(w, "  %-14s %9d  %s\n", c.Table, c.Rows, tableLabels[c.Table])
	}
	if r.Files > 0 {
		fmt.Fprintf(w, "Copied from %s into the database, each read back and compared byte for byte:\n", r.FilesDir)
		fmt.Fprintf(w, "  %-14s %9d  %s\n", "files", r.Files, "bytes of kept files ("+bot.Bytes(r.FileBytes)+")")
	}
	fmt.Fprintf(w, "The next ticket will be #%d.\n\n", r.NextTicket)
	if n := len(r.MissingFiles); n > 0 {
		fmt.Fprintf(w, "Warning: the bytes of %d kept %s were not in %s: %s %s. %s moved without %s, "+
			"and caredesk on PostgreSQL will show %s as unavailable (no longer kept). "+
			"If %s elsewhere, drop the database, create it empty and run caredesk migrate again with --files DIR.\n\n",
			n, plural(n, "file", "files"), r.FilesDir, plural(n, "file", "files"), move.IDList(r.MissingFiles),
			plural(n, "Its record", "Their records"), plural(n, "its bytes", "their bytes"), plural(n, "it", "them"),
			plural(n, "its bytes are", "their bytes are"))
	}
	if r.Files == 0 && len(r.MissingFiles) == 0 {
		fmt.Fprintln(w, "No file's bytes are kept, so there were none to copy.")
	}
	fmt.Fprintln(w, "Now start caredesk with CAREDESK_DB set to the URL given to --to, without CAREDESK_FILES_DIR "+
		"(the files are in the database), and keep the SQLite file and its folder of files as a backup.")
}

func plural(n int, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}
