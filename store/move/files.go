package move

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"caredesk/bot"
)

// On SQLite caredesk keeps the bytes of files in a folder (package blob),
// on PostgreSQL in the database (postgres.Blobs), where every replica
// finds them; a desk moved without its bytes would lose every file it
// keeps. Both stores name a file's bytes by its attachment's id
// (bot.Attachment.BlobKey), and ids move unchanged, so the bytes go under
// the same keys.
//
// The bytes are copied before the rows, outside the move's transaction:
// postgres.Blobs writes each chunk in a short transaction of its own, and
// the move's holds the write lock. Bytes copied for a move that then
// fails are no file's, and caredesk's Prune removes them; a move run
// again puts the same keys anew.

// keptFile is an attachment whose bytes the desk keeps, as the file
// records it.
type keptFile struct {
	id   int64
	size int64 // the bytes stored: a download records its size with them
}

// key is the file's key in either store (bot.Attachment.BlobKey).
func (f keptFile) key() string { return strconv.FormatInt(f.id, 10) }

// keptFiles reads the attachments whose bytes are kept, in id order, in
// the read transaction the rows are copied in: the same moment of the file.
func keptFiles(ctx context.Context, src *sql.Tx) ([]keptFile, error) {
	rows, err := src.QueryContext(ctx, `SELECT id, size FROM attachments WHERE stored <> 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the files kept from the SQLite file: %w", err)
	}
	defer rows.Close()
	var kept []keptFile
	for rows.Next() {
		var f keptFile
		if err := rows.Scan(&f.id, &f.size); err != nil {
			return nil, fmt.Errorf("read the files kept from the SQLite file: %w", err)
		}
		kept = append(kept, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the files kept from the SQLite file: %w", err)
	}
	return kept, nil
}

// checkFolder finds the kept files in dir before any is copied, so that a
// wrong folder is refused before a byte is written rather than after
// gigabytes were. It returns the files there and the ids of
// those missing. Missing bytes do not stop the move: a crash between a
// sweep's removal of the bytes and its record leaves such a file, which
// caredesk already shows as no longer kept. A file whose size differs from
// the record does stop it: the folder is another desk's (whose keys are
// the same small numbers) or the file is damaged, and copying would hand
// customers the wrong bytes.
func checkFolder(dir string, kept []keptFile) (found []keptFile, missing []int64, err error) {
	if len(kept) == 0 {
		return nil, nil, nil // the folder need not even exist
	}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("the desk keeps the bytes of %d %s in a folder, but there is no folder %s: "+
			"pass --files DIR, or set CAREDESK_FILES_DIR, to the folder the caredesk on the SQLite file kept them in",
			len(kept), plural(len(kept), "file", "files"), dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the folder of files %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a folder: pass --files DIR, or set CAREDESK_FILES_DIR, "+
			"to the folder the caredesk on the SQLite file kept the bytes of files in", dir)
	}
	var wrong []string
	for _, f := range kept {
		info, err := os.Stat(filepath.Join(dir, f.key()))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, f.id)
		case err != nil:
			return nil, nil, fmt.Errorf("read the bytes of file %d in %s: %w", f.id, dir, err)
		case !info.Mode().IsRegular():
			wrong = append(wrong, fmt.Sprintf("file %d is not a regular file there", f.id))
		case info.Size() != f.size:
			wrong = append(wrong, fmt.Sprintf("file %d has %d bytes there, but the desk recorded %d", f.id, info.Size(), f.size))
		default:
			found = append(found, f)
		}
	}
	if len(wrong) > 0 {
		return nil, nil, fmt.Errorf("the folder %s does not hold this desk's files as the desk recorded them: %s. "+
			"If it is another folder than the one caredesk kept them in, pass --files DIR (or set CAREDESK_FILES_DIR) "+
			"to the right one; if it is the right one and those files are damaged, move them out of it and run again, "+
			"and the move will report them as missing", dir, list(wrong, "; "))
	}
	return found, missing, nil
}

// copyFiles copies the bytes of files from dir into blobs, each read back
// and compared with the folder's (size and SHA-256), and returns how many
// files it copied and their bytes, when it fails too.
func copyFiles(ctx context.Context, blobs bot.Blobs, dir string, files []keptFile, progress io.Writer) (int, int64, error) {
	fmt.Fprintf(progress, "copying the bytes of %d %s from %s\n", len(files), plural(len(files), "file", "files"), dir)
	var total int64
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return i, total, err
		}
		if put, err := copyFile(blobs, dir, f); err != nil {
			if put {
				return i + 1, total + f.size, err
			}
			return i, total, err
		}
		total += f.size
		// A line now and then: a large folder takes a while.
		if done := i + 1; done%100 == 0 && done < len(files) {
			fmt.Fprintf(progress, "copied files: %d of %d (%s)\n", done, len(files), bot.Bytes(total))
		}
	}
	fmt.Fprintf(progress, "copied files: %d (%s), each read back equal\n", len(files), bot.Bytes(total))
	return len(files), total, nil
}

// orphans says what becomes of the bytes of n files copied for a move
// that then failed.
func orphans(n int) string {
	return fmt.Sprintf("The bytes of %d %s copied before belong to no file there: a move run again puts them anew, "+
		"and caredesk removes bytes no file has", n, plural(n, "file", "files"))
}

// copyFile puts one file's bytes under its key and reads them back; put
// says whether the bytes are in blobs, even when err says they are wrong.
func copyFile(blobs bot.Blobs, dir string, f keptFile) (put bool, err error) {
	path := filepath.Join(dir, f.key())
	in, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("copy the bytes of file %d: %w", f.id, err)
	}
	defer in.Close()
	sum := sha256.New()
	n, err := blobs.Put(f.key(), io.TeeReader(in, sum), 0)
	if err != nil {
		return false, fmt.Errorf("copy the bytes of file %d from %s: %w", f.id, path, err) // a Put that fails keeps nothing
	}
	if n != f.size {
		return true, fmt.Errorf("copy the bytes of file %d: %d bytes were read from %s, which had %d a moment before; "+
			"leave the folder alone while the move runs", f.id, n, path, f.size)
	}
	back, err := blobs.Open(f.key())
	if err != nil {
		return true, fmt.Errorf("read back the bytes of file %d: %w", f.id, err)
	}
	defer back.Close()
	again := sha256.New()
	m, err := io.Copy(again, back)
	if err != nil {
		return true, fmt.Errorf("read back the bytes of file %d: %w", f.id, err)
	}
	if m != n || !bytes.Equal(again.Sum(nil), sum.Sum(nil)) {
		return true, fmt.Errorf("the bytes of file %d read back from PostgreSQL (%d of them) differ from the %d in %s", f.id, m, n, path)
	}
	return true, nil
}

// IDList names ids for a sentence, ten at most: "4, 9 and 12", or
// "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 5 more".
func IDList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return list(s, ", ")
}

// list joins items for a sentence, ten at most, the last with "and".
func list(items []string, sep string) string {
	const most = 10
	if len(items) > most {
		return strings.Join(items[:most], sep) + fmt.Sprintf(" and %d more", len(items)-most)
	}
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], sep) + " and " + items[len(items)-1]
}

func plural(n int, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}
