package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot/font"
)

var ist = time.FixedZone("Europe/Istanbul", 3*60*60)

// week is a busy week: quick answers by day, slow at night, slower at the
// weekend, Sunday morning quiet, two hours nobody answered.
func week() [7][24]Cell {
	var w [7][24]Cell
	for d := range 7 {
		for h := range 24 {
			n := 2 + (h*7+d*3)%9
			m := time.Duration(6+(h*13+d*5)%40) * time.Minute
			if h < 8 {
				m = time.Duration(1+(h+d)%4) * time.Hour
			}
			w[d][h] = Cell{Count: n, Median: m, Answered: n - 1}
		}
	}
	for h := range 6 {
		w[6][h] = Cell{}
	}
	w[5][2] = Cell{Count: 3, Median: 5*time.Hour + 10*time.Minute, Answered: 3}
	w[1][10] = Cell{Count: 9, Median: 4 * time.Minute, Answered: 9}
	w[5][4] = Cell{Count: 2}
	w[6][23] = Cell{Count: 1}
	return w
}

func days(n int) []Day {
	var ds []Day
	for i := range n {
		ds = append(ds, Day{Date: time.Date(2026, 12, 1+i, 0, 0, 0, 0, ist), Complaints: 30 + i*3, Answered: 28 + i})
	}
	return ds
}

func sources() []Bar {
	return []Bar{
		{"X (Twitter)", 12, 6, 2*time.Hour + 5*time.Minute},
		{"Telegram", 40, 38, 12 * time.Minute},
		{"İstanbul şubesi", 9, 9, 4 * time.Minute},
		{"Łódź", 5, 0, 0},
		{"Жалби София", 7, 3, 50 * time.Minute},
	}
}

// decode checks that b is a PNG of the given size and returns it.
func decode(t testing.TB, b []byte, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(w, h) {
		t.Fatalf("PNG is %v, want %dx%d", got, w, h)
	}
	if len(b) > 200<<10 {
		t.Errorf("PNG is %d bytes, want well under 200 KB", len(b))
	}
	return img
}

// must fails the test on err, and on a chart that lacks the words standing
// in for its picture. It is curried so calls read must(t)(HourOfWeek(...)).
func must(t testing.TB) func(Chart, error) Chart {
	t.Helper()
	return func(ch Chart, err error) Chart {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if ch.Name == "" || ch.Alt == "" || ch.Fallback == "" || len(ch.PNG) == 0 {
			t.Fatalf("chart %q lacks a name, alt text, fallback or picture: %+v", ch.Title, ch)
		}
		return ch
	}
}

func TestSizes(t *testing.T) {
	many := make([]Bar, 26)
	for i := range many {
		many[i] = Bar{Label: fmt.Sprintf("Agent %c", 'A'+i), Complaints: 30 - i, Answered: (30 - i) / 2, Median: time.Duration(i+1) * 7 * time.Minute}
	}
	for _, tc := range []struct {
		name string
		draw func() (Chart, error)
		w, h int
	}{
		{"heat map", func() (Chart, error) { return HourOfWeek("Time to first answer by hour", week()) }, 1200, 600},
		{"daily, a week", func() (Chart, error) { return Daily("Complaints per day", days(7)) }, 1200, 600},
		{"daily, a month", func() (Chart, error) { return Daily("Complaints per day", days(31)) }, 1200, 600},
		{"one source", func() (Chart, error) { return BySource("By source", sources()[:1]) }, 1200, 300},
		{"five sources", func() (Chart, error) { return BySource("By source", sources()) }, 1200, 380},
		{"26 agents drawn as 20", func() (Chart, error) { return BySource("By agent", many) }, 1200, 1040},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := must(t)(tc.draw())
			decode(t, ch.PNG, tc.w, tc.h)
			t.Logf("%s: %d bytes", ch.Name, len(ch.PNG))
		})
	}
}

// reddish and greenish are loose on purpose: they must survive a change of
// shade, not of meaning.
func reddish(r, g, b uint32) bool  { return r > 0x8000 && r > g+0x4000 && r > b+0x4000 }
func greenish(r, g, b uint32) bool { return g > r+0x2000 && g > b+0x2000 }
func greyish(r, g, b uint32) bool  { return r == g && g == b && r > 0xc000 && r < 0xf800 }

func TestHeatColours(t *testing.T) {
	w := week()
	ch := must(t)(HourOfWeek("Time to first answer by hour", w))
	img := decode(t, ch.PNG, heatW, heatH)
	fig, err := drawHeat("Time to first answer by hour", &w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fig.png, ch.PNG) {
		t.Fatal("drawHeat and HourOfWeek drew different pictures; the layout the test samples is not the one published")
	}
	cellW := fig.center[0][1].X - fig.center[0][0].X
	for _, tc := range []struct {
		name    string
		d, h    int
		dx      int // off the centre where a "×" is drawn
		want    func(r, g, b uint32) bool
		wantStr string
	}{
		{"Saturday night, 5 h 10 min", 5, 2, 0, reddish, "reddish"},
		{"Tuesday morning, 4 min", 1, 10, 0, greenish, "greenish"},
		{"Saturday 04:00, no answer", 5, 4, cellW / 3, reddish, "reddish"},
		{"Sunday 01:00, no complaints", 6, 1, 0, greyish, "light grey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fig.center[tc.d][tc.h].Add(image.Pt(tc.dx, 0))
			if r, g, b, _ := img.At(p.X, p.Y).RGBA(); !tc.want(r, g, b) {
				t.Errorf("pixel %v is #%02x%02x%02x, want %s", p, r>>8, g>>8, b>>8, tc.wantStr)
			}
		})
	}
	// The unanswered hour must differ from the slowest answered one.
	p, q := fig.center[5][4].Add(image.Pt(cellW/3, 0)), fig.center[5][2]
	if img.At(p.X, p.Y) == img.At(q.X, q.Y) {
		t.Error("an unanswered hour is drawn like an answered one")
	}
}

func TestNoData(t *testing.T) {
	for _, tc := range []struct {
		name string
		draw func() (Chart, error)
	}{
		{"empty week", func() (Chart, error) { return HourOfWeek("t", [7][24]Cell{}) }},
		{"no days", func() (Chart, error) { return Daily("t", nil) }},
		{"quiet days", func() (Chart, error) {
			return Daily("t", []Day{{Date: time.Date(2026, 12, 1, 0, 0, 0, 0, ist)}, {Date: time.Date(2026, 12, 2, 0, 0, 0, 0, ist)}})
		}},
		{"no sources", func() (Chart, error) { return BySource("t", []Bar{}) }},
		{"quiet sources", func() (Chart, error) { return BySource("t", []Bar{{Label: "Telegram"}}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.draw(); !errors.Is(err, ErrNoData) {
				t.Errorf("got %v, want ErrNoData", err)
			}
		})
	}
}

func TestInconsistentInput(t *testing.T) {
	var w [7][24]Cell
	w[2][3] = Cell{Count: 1, Answered: 2, Median: time.Minute}
	for _, tc := range []struct {
		name string
		draw func() (Chart, error)
	}{
		{"more answered than opened", func() (Chart, error) { return HourOfWeek("t", w) }},
		{"negative day", func() (Chart, error) { return Daily("t", []Day{{Complaints: -1}}) }},
		{"negative median", func() (Chart, error) { return BySource("t", []Bar{{"a", 2, 1, -time.Minute}}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.draw(); err == nil || errors.Is(err, ErrNoData) {
				t.Errorf("got %v, want an error that is not ErrNoData", err)
			}
		})
	}
}

func TestText(t *testing.T) {
	var w [7][24]Cell
	w[5][2] = Cell{Count: 3, Median: 5*time.Hour + 10*time.Minute, Answered: 3}
	w[1][10] = Cell{Count: 2, Median: 4 * time.Minute, Answered: 2}
	w[0][9] = Cell{Count: 1}
	w[2][20] = Cell{Count: 4, Median: 45 * time.Minute, Answered: 3}
	w[2][21] = Cell{Count: 1, Median: 3 * time.Hour, Answered: 1}
	var one [7][24]Cell
	one[3][15] = Cell{Count: 1, Median: 40 * time.Second, Answered: 1}
	for _, tc := range []struct {
		name          string
		draw          func() (Chart, error)
		alt, fallback string
	}{
		{
			"heat map", func() (Chart, error) { return HourOfWeek("t", w) },
			"Heat map of the median time to first answer by hour of the week. Slowest: Sat 02:00–03:00, 5 h 10 min (3 complaints). Fastest: Tue 10:00–11:00, 4 min. 1 hour had complaints nobody answered.",
			`     night       morning     afternoon   evening
     00–08       08–12       12–18       18–24
Mon  –           no answer   –           –
Tue  –           4 min       –           –
Wed  –           –           –           45 min
Thu  –           –           –           –
Fri  –           –           –           –
Sat  5 h 10 min  –           –           –
Sun  –           –           –           –
1 hour had complaints nobody answered.`,
		},
		{
			"heat map, one hour", func() (Chart, error) { return HourOfWeek("t", one) },
			"Heat map of the median time to first answer by hour of the week. Only answered hour: Thu 15:00–16:00, 40 s (1 complaint).",
			`     night       morning     afternoon   evening
     00–08       08–12       12–18       18–24
Mon  –           –           –           –
Tue  –           –           –           –
Wed  –           –           –           –
Thu  –           –           40 s        –
Fri  –           –           –           –
Sat  –           –           –           –
Sun  –           –           –           –`,
		},
		{
			"daily", func() (Chart, error) { return Daily("t", days(3)) },
			"Bar chart of complaints and answered complaints per day, Tue 01 Dec – Thu 03 Dec: 99 complaints, 87 answered (88 %). Busiest: Thu 03 Dec, 36 complaints. Lowest response rate: Thu 03 Dec, 83 %.",
			`Tue 01 Dec  complaints 30  answered 28
Wed 02 Dec  complaints 33  answered 29
Thu 03 Dec  complaints 36  answered 30`,
		},
		{
			"daily, one day", func() (Chart, error) { return Daily("t", []Day{{time.Date(2026, 12, 1, 0, 0, 0, 0, ist), 40, 40}}) },
			"Bar chart of complaints and answered complaints on Tue 01 Dec: 40 complaints, 40 answered (100 %).",
			"Tue 01 Dec  complaints 40  answered 40",
		},
		{
			"by source", func() (Chart, error) { return BySource("t", sources()) },
			"Bar chart of complaints and answered complaints per source: Telegram 40 complaints, 95 % answered, median 12 min; X (Twitter) 12 complaints, 50 % answered, median 2 h 5 min; İstanbul şubesi 9 complaints, 100 % answered, median 4 min; and 2 more. Lowest response rate: Łódź, 0 %.",
			`Telegram         complaints 40  answered 38   95 %  median 12 min
X (Twitter)      complaints 12  answered  6   50 %  median 2 h 5 min
İstanbul şubesi  complaints  9  answered  9  100 %  median 4 min
Жалби София      complaints  7  answered  3   43 %  median 50 min
Łódź             complaints  5  answered  0    0 %  median –`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := must(t)(tc.draw())
			if ch.Alt != tc.alt {
				t.Errorf("alt text:\n got %q\nwant %q", ch.Alt, tc.alt)
			}
			if ch.Fallback != tc.fallback {
				t.Errorf("fallback:\n got:\n%s\nwant:\n%s", ch.Fallback, tc.fallback)
			}
		})
	}
}

func TestOthers(t *testing.T) {
	var bars []Bar
	for i := range 25 {
		b := Bar{Label: fmt.Sprintf("s%02d", i), Complaints: i + 1, Answered: i / 2}
		if b.Answered > 0 {
			b.Median = time.Minute
		}
		bars = append(bars, b)
	}
	ch := must(t)(BySource("By source", bars))
	decode(t, ch.PNG, barsW, sourceHeight(maxBars))
	lines := strings.Split(ch.Fallback, "\n")
	if len(lines) != maxBars {
		t.Fatalf("fallback has %d lines, want %d:\n%s", len(lines), maxBars, ch.Fallback)
	}
	// Largest first; the six smallest (1..6 complaints, 0+0+1+1+2+2 answered) become "Others".
	if !strings.HasPrefix(lines[0], "s24 ") {
		t.Errorf("first line %q, want the largest source s24", lines[0])
	}
	if want := "Others  complaints 21  answered  6   29 %  median –"; lines[maxBars-1] != want {
		t.Errorf("last line\n got %q\nwant %q", lines[maxBars-1], want)
	}
	rows := make([]row, len(bars))
	for i, b := range bars {
		rows[i] = row{Bar: b}
	}
	sum := 0
	for _, r := range fold(rows) {
		sum += r.Complaints
	}
	if sum != 25*26/2 {
		t.Errorf("folding lost complaints: %d, want %d", sum, 25*26/2)
	}
	if rs := fold(rows[:maxBars]); len(rs) != maxBars || rs[maxBars-1].Label == "Others" {
		t.Errorf("%d sources must not be folded", maxBars)
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		draw func() (Chart, error)
	}{
		{"heat map", func() (Chart, error) { return HourOfWeek("t", week()) }},
		{"daily", func() (Chart, error) { return Daily("t", days(7)) }},
		{"by source", func() (Chart, error) { return BySource("t", sources()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := must(t)(tc.draw()), must(t)(tc.draw())
			if !bytes.Equal(a.PNG, b.PNG) {
				t.Error("the same input drew different bytes")
			}
		})
	}
}

// Desks report at the same time, so renderers must not share mutable state.
func TestConcurrent(t *testing.T) {
	want := must(t)(HourOfWeek("t", week())).PNG
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	for i := range got {
		wg.Go(func() {
			if ch, err := HourOfWeek("t", week()); err == nil {
				got[i] = ch.PNG
			}
		})
	}
	wg.Wait()
	for i, b := range got {
		if !bytes.Equal(b, want) {
			t.Errorf("concurrent render %d differs from a lone one", i)
		}
	}
}

func TestUnicode(t *testing.T) {
	face := font.DefaultCache.Lookup(sans, 12)
	for _, s := range []string{"İstanbul", "Łódź", "София", "Жалби", "Ğ ş ç ö ü ı ę ą ń ś ż", "– × … ·"} {
		for _, r := range s {
			if i, err := face.Face.GlyphIndex(nil, r); err != nil || (i == 0 && r != ' ') {
				t.Errorf("Liberation Sans has no glyph for %q in %q", r, s)
			}
		}
	}
	if got, want := drawable("客服 😀 Łódź"), "?? ? Łódź"; got != want {
		t.Errorf("drawable: %q, want %q", got, want)
	}
	// Glyphs the font lacks, and titles far too long, must still draw.
	long := strings.Repeat("Время первого ответа, İstanbul, Łódź ", 6)
	bars := []Bar{{"客服 😀", 3, 1, time.Minute}, {"Łódź", 2, 2, time.Hour}, {"София", 1, 0, 0}}
	ch := must(t)(BySource(long, bars))
	decode(t, ch.PNG, barsW, sourceHeight(len(bars)))
}

func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 min"},
		{40 * time.Second, "40 s"},
		{59*time.Second + 400*time.Millisecond, "59 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{45 * time.Minute, "45 min"},
		{30*time.Minute + 29*time.Second, "30 min"},
		{59*time.Minute + 40*time.Second, "1 h"},
		{3 * time.Hour, "3 h"},
		{3*time.Hour + 10*time.Minute, "3 h 10 min"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "1 d"},
		{48 * time.Hour, "2 d"},
		{52*time.Hour + 20*time.Minute, "2 d 4 h"},
	} {
		if got := Span(tc.d); got != tc.want {
			t.Errorf("Span(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		answered, complaints int
		want                 string
	}{
		{0, 0, "–"}, {38, 40, "95 %"}, {5, 6, "83 %"}, {5, 5, "100 %"},
		{199, 200, "99 %"}, {1, 300, "1 %"}, {0, 5, "0 %"},
	} {
		if got := rate(tc.answered, tc.complaints); got != tc.want {
			t.Errorf("rate(%d, %d) = %q, want %q", tc.answered, tc.complaints, got, tc.want)
		}
	}
}

func TestIntTicks(t *testing.T) {
	for _, tc := range []struct {
		hi   float64
		want string
	}{{1.2, "0 1"}, {8.4, "0 2 4 6 8"}, {58, "0 10 20 30 40 50"}, {1450, "0 200 400 600 800 1000 1200 1400"}} {
		var got []string
		for _, tk := range (intTicks{}).Ticks(0, tc.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("ticks up to %g: %v, want %s", tc.hi, got, tc.want)
		}
	}
}

func TestBlockMedian(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hours []Cell
		want  string
	}{
		{"quiet", []Cell{{}, {}}, "–"},
		{"unanswered", []Cell{{Count: 2}, {}}, "no answer"},
		{"weighted by answers", []Cell{{3, 10 * time.Minute, 3}, {1, time.Hour, 1}}, "10 min"},
		{"even split takes the lower", []Cell{{1, time.Hour, 1}, {1, 10 * time.Minute, 1}}, "10 min"},
		{"heavy slow hour", []Cell{{1, 10 * time.Minute, 1}, {5, 2 * time.Hour, 5}}, "2 h"},
	} {
		if got := blockMedian(tc.hours); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func BenchmarkHourOfWeek(b *testing.B) {
	w := week()
	var size int
	for b.Loop() {
		ch, err := HourOfWeek("Time to first answer by hour, 1–7 Dec 2026 (Europe/Istanbul)", w)
		if err != nil {
			b.Fatal(err)
		}
		size = len(ch.PNG)
	}
	b.ReportMetric(float64(size), "png-bytes")
}

// TestZeroMedianIsAnAnswer: an hour answered within the second is fast,
// not unanswered; what says nobody answered is Answered.
func TestZeroMedianIsAnAnswer(t *testing.T) {
	var cells [7][24]Cell
	cells[0][9] = Cell{Count: 1, Answered: 1}
	cells[0][10] = Cell{Count: 1}
	ch := must(t)(HourOfWeek("Zero", cells))
	if !strings.Contains(ch.Alt, "1 hour had complaints nobody answered") || strings.Contains(ch.Alt, "No complaint was answered") {
		t.Errorf("alt %q", ch.Alt)
	}
}
