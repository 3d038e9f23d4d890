// Package blob keeps the bytes of files (customers' photos, owners' PDFs)
// in a directory next to the database, one file per key, within a cap on
// each file and on the whole: files are large, and the database keeps only
// what is known about them.
package blob

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"caredesk/bot"
)

var _ bot.Blobs = (*Dir)(nil)

// tmpSuffix marks bytes being written; a crash leaves them, and Open
// removes them.
const tmpSuffix = ".part"

// Dir is a directory of blobs.
type Dir struct {
	path     string
	maxTotal int64 // 0: no cap

	mu    sync.Mutex
	total int64 // bytes kept, and reserved by writes under way
}

// Open opens (creating it, 0700) the directory at path, whose blobs may
// take maxTotal bytes in all (0: no cap). Half-written files a crash left
// behind are removed.
func Open(path string, maxTotal int64) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create the file store %s: %w", path, err)
	}
	d := &Dir{path: path, maxTotal: maxTotal}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read the file store %s: %w", path, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasSuffix(e.Name(), tmpSuffix) {
			if err := os.Remove(filepath.Join(path, e.Name())); err != nil {
				return nil, fmt.Errorf("remove a half-written file of the store: %w", err)
			}
			continue
		}
		if _, err := d.name(e.Name()); err != nil {
			continue // not caredesk's
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("read the file store %s: %w", path, err)
		}
		d.total += info.Size()
	}
	return d, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// Total is the bytes kept now.
func (d *Dir) Total() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total
}

// Put stores r's bytes under key: written to a temporary file, synced,
// then renamed, so that a crash never leaves a key with half its bytes.
// More than limit bytes (limit 0: no limit) is bot.ErrTooLarge; passing
// the directory's cap is bot.ErrFull. Either way nothing is kept.
func (d *Dir) Put(key string, r io.Reader, limit int64) (int64, error) {
	name, err := d.name(key)
	if err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(d.path, key+"-*"+tmpSuffix)
	if err != nil {
		return 0, fmt.Errorf("store file %s: %w", key, err)
	}
	tmp := f.Name()
	n, err := d.copy(f, r, limit)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.replace(tmp, name, n)
	}
	if err != nil {
		_ = os.Remove(tmp)
		d.release(n)
		return 0, err
	}
	return n, nil
}

// copy writes r to f in steps, reserving room in the cap for each step
// before it is written, so that writes under way together cannot pass it.
func (d *Dir) copy(f *os.File, r io.Reader, limit int64) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			if limit > 0 && n+int64(k) > limit {
				return n, bot.ErrTooLarge
			}
			if !d.reserve(int64(k)) {
				return n, bot.ErrFull
			}
			n += int64(k)
			if _, err := f.Write(buf[:k]); err != nil {
				return n, fmt.Errorf("store file: %w", err)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("read the file: %w", rerr)
		}
	}
}

// replace renames tmp to name; bytes name held before are released.
func (d *Dir) replace(tmp, name string, n int64) error {
	old, err := os.Stat(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store file: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("store file: %w", err)
	}
	if old != nil {
		d.release(old.Size())
	}
	return nil
}

func (d *Dir) reserve(n int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.maxTotal > 0 && d.total+n > d.maxTotal {
		return false
	}
	d.total += n
	return true
}

func (d *Dir) release(n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total = max(d.total-n, 0)
}

// Open reads key's bytes; an *os.File, so uploads may seek and know the size.
func (d *Dir) Open(key string) (io.ReadCloser, error) {
	name, err := d.name(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bot.Errorf(bot.ENOTFOUND, "File %s is no longer kept.", key)
	}
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", key, err)
	}
	return f, nil
}

// Delete removes key's bytes; a key that is gone is no error.
func (d *Dir) Delete(key string) error {
	name, err := d.name(key)
	if err != nil {
		return err
	}
	info, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove file %s: %w", key, err)
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove file %s: %w", key, err)
	}
	d.release(info.Size())
	return nil
}

// name is key's path; keys are letters, digits, "-" and "_", so that no
// key reaches outside the directory.
func (d *Dir) name(key string) (string, error) {
	if key == "" || strings.TrimLeft(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return "", fmt.Errorf("%q is not a file key", key)
	}
	return filepath.Join(d.path, key), nil
}

// Prune removes the bytes of every key that keep says is no longer
// wanted, and returns how many it removed. caredesk runs it at start:
// bytes whose record a crash never wrote, or whose removal failed, are
// otherwise counted against the cap for ever.
func (d *Dir) Prune(keep func(key string) (bool, error)) (int, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return 0, fmt.Errorf("read the file store %s: %w", d.path, err)
	}
	n := 0
	for _, e := range entries {
		key := e.Name()
		if !e.Type().IsRegular() || strings.HasSuffix(key, tmpSuffix) {
			continue
		}
		if _, err := d.name(key); err != nil {
			continue // not caredesk's: leave it alone
		}
		wanted, err := keep(key)
		if err != nil {
			return n, err
		}
		if wanted {
			continue
		}
		if err := d.Delete(key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
