package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrEmptyFile is returned by Open for an existing database file of 0 bytes:
// most likely a volume mounted wrong or a file truncated by accident, and
// taking it for a new desk would restart ticket numbers at #1 beside a team
// that remembers #4,000. AllowEmpty opts in to starting afresh.
var ErrEmptyFile = errors.New("the database file is empty")

// prepare makes sure a database file exists at path before SQLite opens it:
// a new one is created 0600, because it holds customers' names and words,
// and SQLite gives its -wal and -shm files the permissions of the database.
// An existing empty file is refused unless allowEmpty.
func prepare(path string, allowEmpty bool) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		return f.Close()
	}
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a folder: point CAREDESK_DB at a file in it, such as %s/caredesk.db", path, strings.TrimSuffix(path, "/"))
	}
	if info.Size() > 0 || allowEmpty {
		return nil
	}
	// An empty main file with a write-ahead log beside it is a database
	// whose pages are all still in the log: not empty.
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has 0 bytes, so it holds no tickets. If this is a new desk, remove the file "+
		"(caredesk creates it) or set CAREDESK_DB_ALLOW_EMPTY=true; otherwise the volume may be mounted wrong "+
		"or the file was truncated: restore it from a backup", ErrEmptyFile, path)
}

// errDamaged is what quick_check found wrong.
var errDamaged = errors.New("the integrity check found damage")

// quickCheckTime bounds the start-up integrity check: a large desk's file
// should not keep caredesk from serving for long.
const quickCheckTime = 10 * time.Second

// quickCheck runs PRAGMA quick_check, bounded in time, and returns its first
// problems as an error. A check that runs out of time is not a problem.
func (db *DB) quickCheck(ctx context.Context) (finished bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, quickCheckTime)
	defer cancel()
	rows, err := db.writer.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return true, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return true, err
		}
		if p != "ok" {
			problems = append(problems, p)
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return true, err
	}
	if len(problems) > 0 {
		return true, fmt.Errorf("%w: %s", errDamaged, strings.Join(problems, "; "))
	}
	return true, nil
}

// probe writes the schema version over itself: the smallest write there is,
// and one that goes through the write-ahead log like any other, so it fails
// when the disk is full or the file is read-only.
func (db *DB) probe(ctx context.Context) error {
	var v int
	if err := db.writer.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	// PRAGMA takes no parameters; v is an int.
	_, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
	return err
}

// storageFailure reports whether err is the storage failing (full, read-only,
// unreadable, damaged) rather than caredesk asking something wrong of it.
func storageFailure(err error) bool {
	var e sqlite3.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrCorrupt,
		sqlite3.ErrNotADB, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
		return true
	}
	return false
}

// explain turns a failure to open the database at path into a sentence that
// says what to do.
func explain(path string, err error) error {
	var e sqlite3.Error
	if errors.Is(err, errDamaged) {
		e.Code = sqlite3.ErrCorrupt
	} else if !errors.As(err, &e) {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	switch e.Code {
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return fmt.Errorf("open store %s: the database is damaged (%v). Stop here rather than lose more: "+
			"restore the file from a backup, or salvage it with `sqlite3 %s .recover | sqlite3 recovered.db` "+
			"and point CAREDESK_DB at the result", path, err, path)
	case sqlite3.ErrReadonly, sqlite3.ErrPerm, sqlite3.ErrCantOpen, sqlite3.ErrAuth:
		return fmt.Errorf("open store %s: caredesk cannot write the database (%v). Make the file, its -wal and -shm "+
			"files and their folder writable by the user caredesk runs as (uid %d), or point CAREDESK_DB at a writable place",
			path, err, os.Getuid())
	case sqlite3.ErrFull:
		return fmt.Errorf("open store %s: the disk is full (%v). Free some space on it and start caredesk again", path, err)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}
