package blob

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caredesk/bot"
)

func open(t *testing.T, dir string, maxTotal int64) *Dir {
	t.Helper()
	d, err := Open(dir, maxTotal)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func read(t *testing.T, d *Dir, key string) []byte {
	t.Helper()
	f, err := d.Open(key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPut(t *testing.T) {
	photo := bytes.Repeat([]byte{0xFF, 0xD8, 0xFF}, 100_000) // 300 KB
	tests := []struct {
		name     string
		maxTotal int64
		limit    int64
		before   int // bytes already kept under another key
		wantErr  error
	}{
		{"fits", 0, 1 << 20, 0, nil},
		{"no per-file limit", 0, 0, 0, nil},
		{"exactly the limit", 0, int64(len(photo)), 0, nil},
		{"one byte over the limit", 0, int64(len(photo)) - 1, 0, bot.ErrTooLarge},
		{"fills the cap exactly", int64(len(photo)) + 10, 0, 10, nil},
		{"passes the cap", int64(len(photo)) + 10, 0, 11, bot.ErrFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := open(t, t.TempDir(), tt.maxTotal)
			if tt.before > 0 {
				if _, err := d.Put("0", bytes.NewReader(make([]byte, tt.before)), 0); err != nil {
					t.Fatal(err)
				}
			}
			n, err := d.Put("7", bytes.NewReader(photo), tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: err %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if _, err := d.Open("7"); bot.ErrorCode(err) != bot.ENOTFOUND {
					t.Errorf("a refused file was kept: Open says %v", err)
				}
				if got := d.Total(); got != int64(tt.before) {
					t.Errorf("Total after a refusal = %d, want %d", got, tt.before)
				}
				assertNoPartial(t, d)
				return
			}
			if n != int64(len(photo)) || !bytes.Equal(read(t, d, "7"), photo) {
				t.Errorf("Put returned %d and kept other bytes than given", n)
			}
			if got := d.Total(); got != int64(len(photo)+tt.before) {
				t.Errorf("Total = %d, want %d", got, len(photo)+tt.before)
			}
		})
	}
}

func assertNoPartial(t *testing.T, d *Dir) {
	t.Helper()
	entries, err := os.ReadDir(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), tmpSuffix) {
			t.Errorf("a half-written file stayed: %s", e.Name())
		}
	}
}

func TestReplaceDeleteAndReopen(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, 0)
	for _, data := range []string{"first, longer bytes", "second"} {
		if _, err := d.Put("3", strings.NewReader(data), 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := string(read(t, d, "3")); got != "second" {
		t.Errorf("after a second Put the key reads %q", got)
	}
	if d.Total() != int64(len("second")) {
		t.Errorf("Total counts a replaced file's bytes: %d", d.Total())
	}
	// A crash in the middle of a write leaves a part file; a new start
	// removes it and counts only whole files.
	if err := os.WriteFile(filepath.Join(dir, "4-123"+tmpSuffix), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	d = open(t, dir, 0)
	assertNoPartial(t, d)
	if d.Total() != int64(len("second")) {
		t.Errorf("Total after reopening = %d, want %d", d.Total(), len("second"))
	}
	for range 2 { // a second Delete of a gone key is no error
		if err := d.Delete("3"); err != nil {
			t.Fatal(err)
		}
	}
	if d.Total() != 0 {
		t.Errorf("Total after Delete = %d", d.Total())
	}
	if _, err := d.Open("3"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("Open of a deleted key: %v, want ENOTFOUND", err)
	}
}

func TestKeysStayInside(t *testing.T) {
	d := open(t, t.TempDir(), 0)
	for _, key := range []string{"", "../x", "a/b", "..", "x.part"} {
		if _, err := d.Put(key, strings.NewReader("x"), 0); err == nil {
			t.Errorf("Put(%q) was taken", key)
		}
	}
}

// failingReader hands over some bytes, then fails, as a download cut off.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestCutDownloadKeepsNothing(t *testing.T) {
	d := open(t, t.TempDir(), 1<<20)
	if _, err := d.Put("9", &failingReader{n: 1000}, 0); err == nil || errors.Is(err, bot.ErrFull) || errors.Is(err, bot.ErrTooLarge) {
		t.Fatalf("Put of a cut download: %v, want the read error", err)
	}
	if d.Total() != 0 {
		t.Errorf("a cut download still counts %d bytes against the cap", d.Total())
	}
	assertNoPartial(t, d)
}

func BenchmarkPut10MB(b *testing.B) {
	d, err := Open(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	photo := make([]byte, 10<<20)
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Put("1", bytes.NewReader(photo), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPrune(t *testing.T) {
	d := open(t, t.TempDir(), 0)
	for _, key := range []string{"1", "2", "3"} {
		if _, err := d.Put(key, strings.NewReader("bytes of "+key), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d.Path(), "notes.txt"), []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := d.Prune(func(key string) (bool, error) { return key != "2", nil })
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 removed", n, err)
	}
	if _, err := d.Open("2"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("an unwanted key is still there: %v", err)
	}
	if got := string(read(t, d, "3")); got != "bytes of 3" {
		t.Errorf("a wanted key reads %q", got)
	}
	if _, err := os.Stat(filepath.Join(d.Path(), "notes.txt")); err != nil {
		t.Errorf("a file that is not caredesk's was touched: %v", err)
	}
	if d.Total() != int64(len("bytes of 1")+len("bytes of 3")) {
		t.Errorf("Total after Prune = %d", d.Total())
	}
}
