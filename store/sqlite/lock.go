package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lock is the exclusive hold one caredesk process has on a database file.
//
// SQLite itself would let a second process open the file, and two couriers
// would then deliver the same outbox: threads twice, deliveries finished
// under each other's feet. The lock is a file next to the database, held
// with flock(2) for as long as the process has the database open, so the
// kernel lets it go when the process dies, even by kill -9. The file says who
// holds it, for the sentence the second process prints.
type lock struct {
	f  *os.File
	db *os.File // the database itself, flocked too: a hard link has another lock file
}

// lockPath is where the lock of the database at path lives.
func lockPath(path string) string { return path + ".lock" }

// ErrInUse is the error of opening a database that another caredesk
// holds.
var ErrInUse = errors.New("another caredesk is using this database")

// acquire takes the lock of the database at path, or says who has it.
func acquire(path string, now time.Time) (*lock, error) {
	name := lockPath(path)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return nil, fmt.Errorf("caredesk cannot write its lock file %s (%w). Make the folder of CAREDESK_DB and the files in it "+
			"writable by the user caredesk runs as (uid %d), or point CAREDESK_DB at a writable place", name, err, os.Getuid())
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the folder %s does not exist: create it, or point CAREDESK_DB at a file in a folder that exists", filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("open the lock file %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "a process that has not said who it is"
			}
			return nil, fmt.Errorf("%w: %s. "+
				"Stop that one first, or give this one its own CAREDESK_DB: one SQLite file serves one caredesk "+
				"(the lock is %s; it is released when that process ends)", ErrInUse, who, name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("pid %d on host %s, since %s", os.Getpid(), host, now.UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	}
	return &lock{f: f}, nil
}

// hold flocks the database file itself. The lock file beside it is found by
// name; this one is found by the file, so a second caredesk given a hard
// link to the same database (another name, so another lock file) is
// refused too. SQLite's own locks are fcntl(2) locks, which flock(2) does
// not touch.
func (l *lock) hold(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w file under another name (a hard link to it). "+
				"Stop that one first, or give this one its own CAREDESK_DB: one SQLite file serves one caredesk", ErrInUse)
		}
		return fmt.Errorf("lock %s: %w", path, err)
	}
	l.db = f
	return nil
}

// release lets the next process have the database. The file stays: removing
// it would let a third process lock a new file while a second one still
// holds the old one.
func (l *lock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Only after SQLite closed the file: closing any descriptor of a file
	// drops every fcntl lock the process holds on it, SQLite's included.
	var err error
	if l.db != nil {
		err = l.db.Close()
	}
	err = errors.Join(err, l.f.Close()) // closing the last descriptor releases the flock
	l.f, l.db = nil, nil
	return err
}
