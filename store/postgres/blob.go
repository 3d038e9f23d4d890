package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"caredesk/bot"
)

var _ bot.Blobs = (*Blobs)(nil)

// BlobGrace is how old a file's bytes must be before Prune may remove
// them. Another replica writes a file's bytes first and its record (the
// attachment marked stored) after, in a transaction of its own: bytes
// younger than this may belong to a record not committed yet, which keep
// cannot see. Bytes of a Put still under way are spared as long; a Put
// whose download takes longer fails and is tried again.
const BlobGrace = time.Hour

// blobChunk is the most bytes a row of blob_chunks holds, and so the most
// of a file Put or a reader holds in memory.
const blobChunk = 256 << 10

// blobWait bounds each statement of Blobs. Their methods take no context
// (bot.Blobs has none, as the local folder needed none), so they use
// context.Background with this deadline: a connection that died without
// telling, or a server that stopped answering, fails the statement instead
// of blocking its caller for ever. A statement moves one chunk at most, so
// a minute is plenty on any working server.
const blobWait = time.Minute

// Blobs keeps the bytes of files in the database, so that every replica
// reads what any of them stored: one downloads a customer's photo, another
// posts it. It implements bot.Blobs with the meaning of blob.Dir, the
// folder a single caredesk uses.
//
// Nothing of Blobs takes the store's write lock: a download of 20 MB is
// written chunk by chunk, each in a short transaction of its own, and the
// connection goes back to the pool between chunks, so that neither a slow
// network nor a slow reader holds up the desk's Updates.
type Blobs struct {
	pool     *pgxpool.Pool
	maxTotal int64 // 0: no cap
}

// Blobs returns the file store of the database, whose files may take
// maxTotal bytes in all (0: no cap).
func (db *DB) Blobs(maxTotal int64) *Blobs {
	return &Blobs{pool: db.pool, maxTotal: maxTotal}
}

// wait is the context of one statement (blobWait).
func wait() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), blobWait)
}

// Total is the bytes kept now, by every replica.
func (b *Blobs) Total(ctx context.Context) (int64, error) {
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT COALESCE(sum(size), 0) FROM blobs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the bytes of files: %w", err)
	}
	return n, nil
}

// Put stores r's bytes under key, replacing any it had. More than limit
// bytes (limit 0: no limit) is bot.ErrTooLarge; passing the cap is
// bot.ErrFull. Either way, and when r fails, nothing is kept and the key
// keeps the bytes it had.
//
// The bytes are written as chunks no key names yet, then the key is
// pointed at them in one statement: readers see the old bytes or the new
// ones, never some of each. A Put cut off by a crash leaves chunks no key
// names, which Prune removes.
func (b *Blobs) Put(key string, r io.Reader, limit int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	// What the other keys hold: a Put bound to pass the cap is refused as
	// soon as it has read enough to know, rather than after the whole
	// download. link checks again, against what they hold then.
	others, err := b.others(key)
	if err != nil {
		return 0, err
	}
	id, err := b.start(key)
	if err != nil {
		return 0, err
	}
	n, err := b.write(key, id, r, limit, others)
	if err == nil {
		err = b.link(key, id, n)
	}
	if err != nil {
		b.drop(id)
		return 0, err
	}
	return n, nil
}

// others is the bytes kept under keys other than key.
func (b *Blobs) others(key string) (int64, error) {
	if b.maxTotal <= 0 {
		return 0, nil
	}
	ctx, cancel := wait()
	defer cancel()
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT COALESCE(sum(size), 0) FROM blobs WHERE key <> $1`, key).Scan(&n); err != nil {
		return 0, fmt.Errorf("put file %s: count the bytes of files: %w", key, err)
	}
	return n, nil
}

// start makes the blob_data row that the chunks of a Put belong to.
func (b *Blobs) start(key string) (int64, error) {
	ctx, cancel := wait()
	defer cancel()
	var id int64
	if err := b.pool.QueryRow(ctx, `INSERT INTO blob_data DEFAULT VALUES RETURNING id`).Scan(&id); err != nil {
		return 0, fmt.Errorf("put file %s: %w", key, err)
	}
	return id, nil
}

// write stores r's bytes as chunks of blob_data id and returns their
// number; others is what the other keys hold, for the cap.
func (b *Blobs) write(key string, id int64, r io.Reader, limit, others int64) (int64, error) {
	buf := make([]byte, blobChunk)
	var n int64
	for i := 0; ; i++ {
		k, rerr := fill(r, buf)
		if k > 0 {
			if limit > 0 && n+int64(k) > limit {
				return n, fmt.Errorf("put file %s: %w", key, bot.ErrTooLarge)
			}
			// Puts under way together each see only what the others
			// kept before they began, so together they may pass the cap
			// by what they write at once; link's check is as blind to the
			// ones not committed yet. A cap a file or two over is no
			// harm, and an exact one would make Puts take turns.
			if b.maxTotal > 0 && others+n+int64(k) > b.maxTotal {
				return n, fmt.Errorf("put file %s: %w", key, bot.ErrFull)
			}
			n += int64(k)
			if err := b.writeChunk(id, i, buf[:k]); err != nil {
				return n, fmt.Errorf("put file %s: chunk %d: %w", key, i, err)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("put file %s: read the file: %w", key, rerr)
		}
	}
}

// fill reads r into buf until buf is full, r ends (io.EOF) or r fails.
// Unlike io.ReadFull it hands back r's own io.ErrUnexpectedEOF, which is
// how a download cut short says so, rather than taking it for the end.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// writeChunk stores chunk i of blob_data id, on a connection it holds for
// that statement alone.
func (b *Blobs) writeChunk(id int64, i int, data []byte) error {
	ctx, cancel := wait()
	defer cancel()
	_, err := b.pool.Exec(ctx, `INSERT INTO blob_chunks (data_id, n, bytes) VALUES ($1, $2, $3)`, id, i, data)
	return err
}

// link points key at blob_data id, of n bytes, unless that passes the
// cap. The bytes key had before go with the change (the trigger
// blobs_replaced), in the same statement.
func (b *Blobs) link(key string, id, n int64) error {
	ctx, cancel := wait()
	defer cancel()
	tag, err := b.pool.Exec(ctx, `INSERT INTO blobs (key, data_id, size, created_at)
		SELECT $1::text, $2::bigint, $3::bigint, clock_timestamp()
		WHERE $4::bigint <= 0 OR (SELECT COALESCE(sum(size), 0) FROM blobs WHERE key <> $1) + $3 <= $4
		ON CONFLICT (key) DO UPDATE SET data_id = EXCLUDED.data_id, size = EXCLUDED.size, created_at = EXCLUDED.created_at`,
		key, id, n, b.maxTotal)
	if err != nil {
		return fmt.Errorf("put file %s: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("put file %s: %w", key, bot.ErrFull)
	}
	return nil
}

// drop removes the chunks of a Put that failed. Its own failure is not
// the caller's: the Put has failed already, and Prune removes what is left.
// Bytes a key names are spared: a link whose answer was lost may have
// committed.
func (b *Blobs) drop(id int64) {
	ctx, cancel := wait()
	defer cancel()
	_, _ = b.pool.Exec(ctx, `DELETE FROM blob_data WHERE id = $1 AND NOT EXISTS (SELECT FROM blobs WHERE data_id = $1)`, id)
}

// Open reads key's bytes a chunk at a time, one query per chunk: the
// reader holds no connection between reads, so that a slow upload or a
// slow download by a bridge keeps none from the pool. A file replaced or
// deleted while it is read fails the read that comes to the bytes gone,
// rather than going on with the new ones.
func (b *Blobs) Open(key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := wait()
	defer cancel()
	r := &blobReader{pool: b.pool, key: key}
	err := b.pool.QueryRow(ctx, `SELECT data_id, size FROM blobs WHERE key = $1`, key).Scan(&r.id, &r.size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.Errorf(bot.ENOTFOUND, "File %s is no longer kept.", key)
	}
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", key, err)
	}
	return r, nil
}

// blobReader reads the chunks of blob_data id in order.
type blobReader struct {
	pool   *pgxpool.Pool
	key    string
	id     int64 // blob_data
	size   int64
	next   int   // the chunk to fetch next
	read   int64 // bytes fetched so far
	chunk  chunkBuf
	off    int // of chunk, handed over
	closed bool
}

// chunkBuf is a pgtype.BytesScanner that keeps one buffer for every chunk,
// rather than the new slice a *[]byte gets per row.
type chunkBuf []byte

// ScanBytes copies v, which pgx reuses after the scan.
func (c *chunkBuf) ScanBytes(v []byte) error {
	*c = append((*c)[:0], v...)
	return nil
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read file %s: %w", r.key, errClosed)
	}
	for r.off == len(r.chunk) {
		if r.read == r.size {
			return 0, io.EOF
		}
		if err := r.fetch(); err != nil {
			return 0, err
		}
	}
	k := copy(p, r.chunk[r.off:])
	r.off += k
	return k, nil
}

var errClosed = errors.New("the reader is closed")

// fetch reads the next chunk.
func (r *blobReader) fetch() error {
	ctx, cancel := wait()
	defer cancel()
	err := r.pool.QueryRow(ctx, `SELECT bytes FROM blob_chunks WHERE data_id = $1 AND n = $2`, r.id, r.next).Scan(&r.chunk)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read file %s: it was replaced or removed while it was read, %d of its %d bytes in", r.key, r.read, r.size)
	}
	if err != nil {
		return fmt.Errorf("read file %s: chunk %d: %w", r.key, r.next, err)
	}
	if len(r.chunk) == 0 || r.read+int64(len(r.chunk)) > r.size {
		return fmt.Errorf("read file %s: chunk %d does not fit the file's %d bytes", r.key, r.next, r.size)
	}
	r.next++
	r.read += int64(len(r.chunk))
	r.off = 0
	return nil
}

// Close lets the chunk in memory go; the reader holds nothing else.
func (r *blobReader) Close() error {
	r.closed, r.chunk = true, nil
	return nil
}

// Delete removes key's bytes; a key that is gone is no error. Its chunks go
// with it (the trigger blobs_deleted).
func (b *Blobs) Delete(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	ctx, cancel := wait()
	defer cancel()
	if _, err := b.pool.Exec(ctx, `DELETE FROM blobs WHERE key = $1`, key); err != nil {
		return fmt.Errorf("remove file %s: %w", key, err)
	}
	return nil
}

// Prune removes the bytes of every key that keep says is no longer
// wanted, and returns how many it removed, as blob.Dir's Prune does; and
// the chunks of Puts that failed or crashed. Only bytes older than
// BlobGrace are looked at: see there.
//
// Ages are counted on the server's clock, which all replicas share, not
// on each replica's own.
func (b *Blobs) Prune(keep func(key string) (bool, error)) (int, error) {
	micros := BlobGrace.Microseconds()
	if err := b.pruneData(micros); err != nil {
		return 0, err
	}
	type candidate struct {
		key string
		id  int64 // the blob_data keep is asked about
	}
	// Read whole before keep is asked: keep reads the store, on a
	// connection of the pool, and must not wait for the one this query
	// would hold meanwhile.
	ctx, cancel := wait()
	rows, _ := b.pool.Query(ctx, `SELECT key, data_id FROM blobs
		WHERE created_at < clock_timestamp() - $1::bigint * interval '1 microsecond' ORDER BY key`, micros)
	old, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (candidate, error) {
		var k candidate
		return k, row.Scan(&k.key, &k.id)
	})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("list the files kept: %w", err)
	}
	n := 0
	for _, k := range old {
		wanted, err := keep(k.key)
		if err != nil {
			return n, err
		}
		if wanted {
			continue
		}
		removed, err := b.deleteIfSame(k.key, k.id)
		if err != nil {
			return n, err
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// pruneData removes blob_data no key names that is older than the grace:
// a Put that failed and could not clean up, or that a crash cut off.
func (b *Blobs) pruneData(graceMicros int64) error {
	ctx, cancel := wait()
	defer cancel()
	_, err := b.pool.Exec(ctx, `DELETE FROM blob_data d
		WHERE started_at < clock_timestamp() - $1::bigint * interval '1 microsecond'
		AND NOT EXISTS (SELECT FROM blobs WHERE data_id = d.id)`, graceMicros)
	if err != nil {
		return fmt.Errorf("remove the bytes of files left half-written: %w", err)
	}
	return nil
}

// deleteIfSame removes key if it still names blob_data id: a key that was
// put again since Prune read it has new bytes, which keep was not asked
// about.
func (b *Blobs) deleteIfSame(key string, id int64) (bool, error) {
	ctx, cancel := wait()
	defer cancel()
	tag, err := b.pool.Exec(ctx, `DELETE FROM blobs WHERE key = $1 AND data_id = $2`, key, id)
	if err != nil {
		return false, fmt.Errorf("remove file %s: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// checkKey refuses what blob.Dir refuses (letters, digits, "-" and "_"
// only), so that a key works on either store.
func checkKey(key string) error {
	if key == "" || strings.TrimLeft(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return fmt.Errorf("%q is not a file key", key)
	}
	return nil
}
