package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	f *os.File
}

// lockPath is where the lock of the database at path lives.
func lockPath(path string) string { return path + ".lock" }

// acquire takes the lock of the database at path, or says who has it.
func acquire(path string, now time.Time) (*lock, error) {
	name := lockPath(path)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return nil, fmt.Errorf("caredesk cannot write its lock file %s (%w). Make the folder of CAREDESK_DB and the files in it "+
			"writable by the user caredesk runs as (uid %d), or point CAREDESK_DB at a writable place", name, err, os.Getuid())
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
			return nil, fmt.Errorf("another caredesk is using this database: %s. "+
				"Stop that one first, or give this one its own CAREDESK_DB: one SQLite file serves one caredesk "+
				"(the lock is %s; it is released when that process ends)", who, name)
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

// release lets the next process have the database. The file stays: removing
// it would let a third process lock a new file while a second one still
// holds the old one.
func (l *lock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
