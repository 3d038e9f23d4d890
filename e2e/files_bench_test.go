package e2e_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"
)

// tenMB is a 10 MB photo of random bytes, which nothing on the way can
// compress.
func tenMB(b *testing.B) []byte {
	b.Helper()
	data := make([]byte, 10<<20)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	copy(data, photoBytes[:10])
	return data
}

// shares counts the files Slack shared for caredesk, without copying
// their bytes as Files would on every check.
func shares(r *rig) int { return r.slack.Calls("files.completeUploadExternal") }

// BenchmarkPhotoToThread measures, on the built binary, one 10 MB photo
// at a time through the whole path: Telegram's update, getFile and the
// download, the file store, Slack's upload and its share in the thread.
// It reports the time per photo and caredesk's peak RSS.
func BenchmarkPhotoToThread(b *testing.B) {
	r := newRig(b, rigOptions{env: map[string]string{"CAREDESK_LOG_LEVEL": "warn"}})
	r.start()
	photo := tenMB(b)
	ctx := context.Background()
	b.SetBytes(int64(len(photo)))
	b.ResetTimer()
	for i := range b.N {
		c := customer(int64(3_000_000+i), "Bench", "bench")
		r.tg.CustomerSendsPhoto(c.ID, c, photo, "")
		if err := r.slack.Wait(ctx, func() bool { return shares(r) > i }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(peakRSS(b, r), "peak-RSS-MB")
}

// BenchmarkTwentyCustomersSendPhotos measures 20 customers sending a
// 10 MB photo each at the same moment, b.N times over: the time until
// all 20 are in their threads, and caredesk's peak RSS.
func BenchmarkTwentyCustomersSendPhotos(b *testing.B) {
	r := newRig(b, rigOptions{env: map[string]string{"CAREDESK_LOG_LEVEL": "warn"}})
	r.start()
	photo := tenMB(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.SetBytes(20 * int64(len(photo)))
	b.ResetTimer()
	for i := range b.N {
		var wg sync.WaitGroup
		for j := range 20 {
			wg.Go(func() {
				c := customer(int64(4_000_000+i*20+j), "Bench", "bench")
				r.tg.CustomerSendsPhoto(c.ID, c, photo, "the parcel")
			})
		}
		wg.Wait()
		if err := r.slack.Wait(ctx, func() bool { return shares(r) >= 20*(i+1) }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(peakRSS(b, r), "peak-RSS-MB")
}
