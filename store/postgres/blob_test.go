package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
	"caredesk/store/postgres"
	"caredesk/store/postgres/pgtest"
)

// chunk is blob.go's blobChunk: the tests check that files are cut in
// chunks of that size, so that neither a Put nor a reader holds a whole
// file.
const chunk = 256 << 10

// newBlobs opens a new database's file store, with the cap maxTotal, and
// a connection behind its back to look at its tables.
func newBlobs(tb testing.TB, maxTotal int64) (*postgres.Blobs, *pgx.Conn) {
	tb.Helper()
	_, url := pgtest.Database(tb)
	return mustOpen(tb, url).Blobs(maxTotal), raw(tb, url)
}

// file is n bytes that look like a photo: no two chunks alike, so that
// bytes out of order or of another file show.
func file(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func readBlob(tb testing.TB, b *postgres.Blobs, key string) []byte {
	tb.Helper()
	r, err := b.Open(key)
	if err != nil {
		tb.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	return data
}

func total(tb testing.TB, b *postgres.Blobs) int64 {
	tb.Helper()
	n, err := b.Total(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// count runs a query of one number on conn.
func count(tb testing.TB, conn *pgx.Conn, query string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// assertStored checks that the tables hold the bytes of the keys given and
// nothing else: no chunks a failed Put or a replaced key left behind.
func assertStored(tb testing.TB, conn *pgx.Conn, sizes map[string]int) {
	tb.Helper()
	chunks := 0
	for _, n := range sizes {
		chunks += (n + chunk - 1) / chunk
	}
	if got := count(tb, conn, `SELECT count(*) FROM blobs`); got != int64(len(sizes)) {
		tb.Errorf("%d keys kept, want %d", got, len(sizes))
	}
	if got := count(tb, conn, `SELECT count(*) FROM blob_data`); got != int64(len(sizes)) {
		tb.Errorf("%d sets of bytes kept, want %d (one per key)", got, len(sizes))
	}
	if got := count(tb, conn, `SELECT count(*) FROM blob_chunks`); got != int64(chunks) {
		tb.Errorf("%d chunks kept, want %d", got, chunks)
	}
}

func TestBlobRoundTrip(t *testing.T) {
	b, conn := newBlobs(t, 0)
	for _, size := range []int{0, 1, chunk - 1, chunk, 3*chunk + 1234} {
		key := "f" + strconv.Itoa(size)
		data := file(size, uint64(size))
		// Read in halves, the last bytes with io.EOF: Put must still cut
		// whole chunks.
		n, err := b.Put(key, iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(data))), 0)
		if err != nil || n != int64(size) {
			t.Fatalf("Put of %d bytes = %d, %v", size, n, err)
		}
		want := int64((size + chunk - 1) / chunk)
		if got := count(t, conn, `SELECT count(*) FROM blob_chunks c JOIN blobs b USING (data_id) WHERE b.key = $1`, key); got != want {
			t.Errorf("%d bytes kept in %d chunks, want %d", size, got, want)
		}
		r, err := b.Open(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(r, data); err != nil {
			t.Errorf("reading %d bytes: %v", size, err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 1)); err == nil {
			t.Error("a closed reader still reads")
		}
	}
}

// failingReader hands over n bytes, then fails with err, as a download cut
// off.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	r.n -= k
	clear(p[:k])
	return k, nil
}

var errReset = errors.New("connection reset by peer")

func TestBlobPut(t *testing.T) {
	photo := file(3*chunk+100, 7) // the refusals come after chunks were written
	size := int64(len(photo))
	tests := []struct {
		name     string
		maxTotal int64
		limit    int64
		before   int // bytes already kept under another key
		r        func(t *testing.T, b *postgres.Blobs) io.Reader
		wantErr  error
	}{
		{name: "fits", limit: 1 << 30},
		{name: "no per-file limit"},
		{name: "exactly the limit", limit: size},
		{name: "one byte over the limit", limit: size - 1, wantErr: bot.ErrTooLarge},
		{name: "fills the cap exactly", maxTotal: size + 10, before: 10},
		{name: "passes the cap", maxTotal: size + 10, before: 11, wantErr: bot.ErrFull},
		{name: "another replica fills the store meanwhile", maxTotal: size + 10, before: 10, wantErr: bot.ErrFull,
			r: func(t *testing.T, b *postgres.Blobs) io.Reader {
				return &pausedReader{r: bytes.NewReader(photo), at: chunk, pause: func() {
					if _, err := b.Put("8", strings.NewReader("x"), 0); err != nil {
						t.Error(err)
					}
				}}
			}},
		{name: "the download fails midway", before: 10, wantErr: errReset,
			r: func(*testing.T, *postgres.Blobs) io.Reader { return &failingReader{n: 2*chunk + 10, err: errReset} }},
		{name: "the download is cut short", wantErr: io.ErrUnexpectedEOF,
			r: func(*testing.T, *postgres.Blobs) io.Reader {
				return &failingReader{n: chunk + 10, err: io.ErrUnexpectedEOF}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, conn := newBlobs(t, tt.maxTotal)
			kept := map[string]int{}
			if tt.before > 0 {
				if _, err := b.Put("0", bytes.NewReader(make([]byte, tt.before)), 0); err != nil {
					t.Fatal(err)
				}
				kept["0"] = tt.before
			}
			r := io.Reader(bytes.NewReader(photo))
			if tt.r != nil {
				r = tt.r(t, b)
			}
			n, err := b.Put("7", r, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: err %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if _, err := b.Open("7"); bot.ErrorCode(err) != bot.ENOTFOUND {
					t.Errorf("a refused file was kept: Open says %v", err)
				}
				if _, err := b.Open("8"); err == nil {
					kept["8"] = 1
				}
				assertStored(t, conn, kept)
				return
			}
			if n != size || !bytes.Equal(readBlob(t, b, "7"), photo) {
				t.Errorf("Put returned %d and kept other bytes than given", n)
			}
			if got := total(t, b); got != size+int64(tt.before) {
				t.Errorf("Total = %d, want %d", got, size+int64(tt.before))
			}
			kept["7"] = len(photo)
			assertStored(t, conn, kept)
		})
	}
}

// pausedReader reads r, and calls pause once when at bytes were read: Put
// has written its first chunks and not the rest.
type pausedReader struct {
	r      io.Reader
	at     int
	pause  func()
	n      int
	paused bool
}

func (p *pausedReader) Read(b []byte) (int, error) {
	if !p.paused && p.n >= p.at {
		p.paused = true
		p.pause()
	}
	if !p.paused {
		b = b[:min(len(b), p.at-p.n)]
	}
	k, err := p.r.Read(b)
	p.n += k
	return k, err
}

func TestBlobReplace(t *testing.T) {
	b, conn := newBlobs(t, 3*chunk+10)
	first := file(3*chunk+10, 1)
	if _, err := b.Put("3", bytes.NewReader(first), 0); err != nil {
		t.Fatal(err)
	}
	reading, err := b.Open("3")
	if err != nil {
		t.Fatal(err)
	}
	defer reading.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(reading, head); err != nil {
		t.Fatal(err)
	}

	// The store is full, but the bytes the key lets go of make room.
	second := file(2*chunk+10, 2)
	if _, err := b.Put("3", bytes.NewReader(second), 0); err != nil {
		t.Fatalf("replacing a file at the cap: %v", err)
	}
	if !bytes.Equal(readBlob(t, b, "3"), second) {
		t.Error("after a second Put the key reads other bytes")
	}
	if got := total(t, b); got != int64(len(second)) {
		t.Errorf("Total counts a replaced file's bytes: %d", got)
	}
	assertStored(t, conn, map[string]int{"3": len(second)})

	// A reader of the old bytes does not go on with the new ones.
	rest, err := io.ReadAll(reading)
	if err == nil {
		t.Fatal("a reader of replaced bytes read to the end")
	}
	if got := append(head, rest...); !bytes.Equal(got, first[:len(got)]) {
		t.Error("a reader of replaced bytes read some of the new ones")
	}

	// A Put that fails leaves the key as it was.
	if _, err := b.Put("3", &failingReader{n: chunk + 1, err: errReset}, 0); !errors.Is(err, errReset) {
		t.Fatalf("Put of a cut download: %v", err)
	}
	if !bytes.Equal(readBlob(t, b, "3"), second) {
		t.Error("a failed Put changed the key's bytes")
	}
	assertStored(t, conn, map[string]int{"3": len(second)})
}

func TestBlobDelete(t *testing.T) {
	b, conn := newBlobs(t, 0)
	for _, key := range []string{"1", "2"} {
		if _, err := b.Put(key, bytes.NewReader(file(chunk+1, 1)), 0); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // a second Delete of a gone key is no error
		if err := b.Delete("1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete("never-put"); err != nil {
		t.Errorf("Delete of a key never put: %v", err)
	}
	for _, key := range []string{"1", "never-put"} {
		if _, err := b.Open(key); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("Open(%s): %v, want ENOTFOUND", key, err)
		}
	}
	if got := total(t, b); got != chunk+1 {
		t.Errorf("Total after Delete = %d", got)
	}
	assertStored(t, conn, map[string]int{"2": chunk + 1})
}

func TestBlobKeys(t *testing.T) {
	b, _ := newBlobs(t, 0)
	for _, key := range []string{"", "../x", "a/b", "..", "x.part", "a b", "ключ"} {
		if _, err := b.Put(key, strings.NewReader("x"), 0); err == nil {
			t.Errorf("Put(%q) was taken", key)
		}
		if _, err := b.Open(key); err == nil || bot.ErrorCode(err) == bot.ENOTFOUND {
			t.Errorf("Open(%q): %v, want a refusal of the key", key, err)
		}
		if err := b.Delete(key); err == nil {
			t.Errorf("Delete(%q) was taken", key)
		}
	}
}

func TestBlobPrune(t *testing.T) {
	b, conn := newBlobs(t, 0)
	for _, key := range []string{"1", "2", "3", "4", "5", "young"} {
		if _, err := b.Put(key, strings.NewReader("bytes of "+key), 0); err != nil {
			t.Fatal(err)
		}
	}
	// Ages are made, not waited for: the keys but "young" are past the
	// grace, "young" just within it.
	older := func(query string, by time.Duration, args ...any) {
		t.Helper()
		if _, err := conn.Exec(context.Background(), query, append([]any{by.Microseconds()}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	older(`UPDATE blobs SET created_at = created_at - $1 * interval '1 microsecond' WHERE key <> 'young'`, postgres.BlobGrace+time.Minute)
	older(`UPDATE blobs SET created_at = created_at - $1 * interval '1 microsecond' WHERE key = 'young'`, postgres.BlobGrace-time.Minute)
	// Bytes of a Put a crash cut off, and of one under way.
	for _, age := range []time.Duration{postgres.BlobGrace + time.Minute, 0} {
		older(`WITH d AS (INSERT INTO blob_data (started_at) VALUES (clock_timestamp() - $1 * interval '1 microsecond') RETURNING id)
			INSERT INTO blob_chunks (data_id, n, bytes) SELECT id, 0, 'half' FROM d`, age)
	}

	asked := map[string]bool{}
	n, err := b.Prune(func(key string) (bool, error) {
		asked[key] = true
		switch key {
		case "1", "3":
			return true, nil
		case "5":
			// Another replica puts the key again between the listing and
			// the removal: its new bytes are not the ones judged.
			if _, err := b.Put("5", strings.NewReader("new bytes of 5"), 0); err != nil {
				t.Error(err)
			}
		}
		return false, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2 removed", n, err)
	}
	if asked["young"] {
		t.Error("Prune asked about bytes younger than its grace")
	}
	for _, key := range []string{"2", "4"} {
		if _, err := b.Open(key); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("unwanted key %s is still there: %v", key, err)
		}
	}
	for key, want := range map[string]string{"1": "bytes of 1", "3": "bytes of 3", "5": "new bytes of 5", "young": "bytes of young"} {
		if got := string(readBlob(t, b, key)); got != want {
			t.Errorf("key %s reads %q, want %q", key, got, want)
		}
	}
	if got := count(t, conn, `SELECT count(*) FROM blob_data d WHERE NOT EXISTS (SELECT FROM blobs WHERE data_id = d.id)`); got != 1 {
		t.Errorf("%d sets of bytes no key names are left, want 1 (the Put under way)", got)
	}
	if got := count(t, conn, `SELECT count(*) FROM blob_chunks`); got != 5 {
		t.Errorf("%d chunks are left, want 5", got)
	}

	older(`UPDATE blobs SET created_at = created_at - $1 * interval '1 microsecond'`, postgres.BlobGrace)
	broken := errors.New("the store is down")
	if _, err := b.Prune(func(string) (bool, error) { return false, broken }); !errors.Is(err, broken) {
		t.Errorf("Prune with keep failing: %v", err)
	}
}

// TestBlobPutsAtOnce: two replicas each download a file at the same time.
// While both are midway, neither holds a transaction open, and the desk's
// Updates go on; then each reads the other's.
func TestBlobPutsAtOnce(t *testing.T) {
	_, url := pgtest.Database(t)
	dbs := []*postgres.DB{mustOpen(t, url), mustOpen(t, url)}
	conn := raw(t, url)
	keys := []string{"11", "12"}
	files := [][]byte{file(2*chunk+5, 11), file(3*chunk+7, 12)}

	arrived, results := make(chan struct{}, 2), make(chan error, 2)
	release := make(chan struct{})
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	defer let()
	for i, db := range dbs {
		r := &pausedReader{r: bytes.NewReader(files[i]), at: chunk, pause: func() {
			arrived <- struct{}{}
			<-release
		}}
		go func() {
			_, err := db.Blobs(0).Put(keys[i], r, 0)
			results <- err
		}()
	}
	for range 2 {
		select {
		case <-arrived:
		case err := <-results:
			t.Fatalf("a Put ended before the other was midway: %v", err)
		}
	}
	if n := count(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`); n != 0 {
		t.Errorf("%d sessions wait in a transaction while the downloads do", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dbs[0].Update(ctx, func(bot.Tx) error { return nil }); err != nil {
		t.Errorf("an Update during the downloads: %v", err)
	}
	let()
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	for i, key := range keys {
		if !bytes.Equal(readBlob(t, dbs[1-i].Blobs(0), key), files[i]) {
			t.Errorf("the other replica reads other bytes under %s", key)
		}
	}
	assertStored(t, conn, map[string]int{keys[0]: len(files[0]), keys[1]: len(files[1])})
}

func BenchmarkBlobPut10MB(b *testing.B) {
	blobs, _ := newBlobs(b, 0)
	photo := file(10<<20, 1)
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := blobs.Put("1", bytes.NewReader(photo), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlobOpen10MB(b *testing.B) {
	blobs, _ := newBlobs(b, 0)
	photo := file(10<<20, 1)
	if _, err := blobs.Put("1", bytes.NewReader(photo), 0); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := blobs.Open("1")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != int64(len(photo)) {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}
