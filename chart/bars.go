package chart

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Two shades of one hue: answered complaints are a part of all complaints,
// and light against dark survives every kind of colour vision.
var (
	complaintsColor = color.RGBA{0x9e, 0xca, 0xe1, 0xff}
	answeredColor   = color.RGBA{0x21, 0x71, 0xb5, 0xff}
)

const (
	barsW, dailyH = 1200, 600
	rowPx         = 44 // pixels per source in BySource: two bars and a gap
	maxBars       = 20 // beyond this, sources stop being readable and stop mattering one by one
	maxLabel      = 28 // runes of a name shown, so one long name cannot squeeze everyone's bars
)

// Day is one day of the daily chart.
type Day struct {
	Date       time.Time // midnight in the team's zone, so the date and weekday are the team's
	Complaints int
	Answered   int // of those complaints, answered by a person
}

// Bar is one labelled row of a per-source (or per-agent) chart.
type Bar struct {
	Label      string // "Telegram", "X (Twitter)"
	Complaints int
	Answered   int
	Median     time.Duration // median time to first answer of those answered
}

// row is a Bar as drawn. folded counts the sources summed into "Others":
// medians cannot be added up, so such a row has none.
type row struct {
	Bar
	folded int
}

// median reports the row's median, if it has one worth printing.
func (r row) median() (time.Duration, bool) {
	return r.Median, r.folded == 0 && r.Answered > 0
}

// check rejects counts that cannot come from a real desk, so that a bug
// upstream shows as an error instead of as a 120 % response rate.
func check(what string, complaints, answered int, median time.Duration) error {
	if complaints < 0 || answered < 0 || answered > complaints || median < 0 || (answered == 0 && median > 0) {
		return fmt.Errorf("chart: inconsistent %s: %d complaints, %d answered, median %v", what, complaints, answered, median)
	}
	return nil
}

// validate checks every row, then whether there is anything to draw at all.
func validate(chart string, rs []row) (complaints, answered int, err error) {
	for _, r := range rs {
		if err := check(fmt.Sprintf("%s %q", chart, r.Label), r.Complaints, r.Answered, r.Median); err != nil {
			return 0, 0, err
		}
		complaints, answered = complaints+r.Complaints, answered+r.Answered
	}
	if complaints == 0 {
		return 0, 0, fmt.Errorf("chart: %s: %w", chart, ErrNoData)
	}
	return complaints, answered, nil
}

// Daily renders complaints against answered complaints per day as grouped
// bars, so that a manager sees both the load and the days the team fell
// behind it. Days are drawn in date order whatever order they come in.
func Daily(title string, days []Day) (Chart, error) {
	ds := slices.Clone(days)
	slices.SortStableFunc(ds, func(a, b Day) int { return a.Date.Compare(b.Date) })
	rs := make([]row, len(ds))
	for i, d := range ds {
		rs[i] = row{Bar: Bar{Label: d.Date.Format("Mon 02 Jan"), Complaints: d.Complaints, Answered: d.Answered}}
	}
	c, a, err := validate("day", rs)
	if err != nil {
		return Chart{}, err
	}
	// Two-line labels, thinned to about 16 so that a month still fits.
	step := (len(ds) + 15) / 16
	label := func(i int) string {
		if i%step != 0 {
			return ""
		}
		return ds[i].Date.Format("Mon\n02 Jan")
	}
	barW := min(pt(barsW-120)/vg.Length(len(rs))*0.38, vg.Points(32))
	png, err := drawBars("complaints-by-day", title, rs, label, false, dailyH, barW)
	if err != nil {
		return Chart{}, err
	}
	alt := fmt.Sprintf("Bar chart of complaints and answered complaints on %s: %s, %d answered (%s).",
		rs[0].Label, plural(c, "complaint", "complaints"), a, rate(a, c))
	if len(rs) > 1 {
		busiest := slices.MaxFunc(rs, func(a, b row) int { return cmp.Compare(a.Complaints, b.Complaints) })
		alt = fmt.Sprintf("Bar chart of complaints and answered complaints per day, %s – %s: %s, %d answered (%s). Busiest: %s, %s.%s",
			rs[0].Label, rs[len(rs)-1].Label, plural(c, "complaint", "complaints"), a, rate(a, c),
			busiest.Label, plural(busiest.Complaints, "complaint", "complaints"), lowestRate(rs))
	}
	return Chart{Name: "complaints-by-day.png", Title: title, Alt: alt, Fallback: table(rs, false), PNG: png}, nil
}

// BySource renders complaints and answered complaints per source (or per
// agent) as grouped horizontal bars, largest first, with the response rate
// and median written beside each group: where the load comes from and which
// channel is neglected. Horizontal bars leave room for long names, so the
// image grows a row per source, up to 20, the smallest rest summed into "Others".
func BySource(title string, bars []Bar) (Chart, error) {
	rs := make([]row, len(bars))
	for i, b := range bars {
		rs[i] = row{Bar: b}
	}
	if _, _, err := validate("source", rs); err != nil {
		return Chart{}, err
	}
	rs = fold(rs)
	label := func(i int) string { return drawable(trimLabel(rs[i].Label, maxLabel)) }
	png, err := drawBars("complaints-by-source", title, rs, label, true, sourceHeight(len(rs)), pt(rowPx)*0.36)
	if err != nil {
		return Chart{}, err
	}
	var parts []string
	for _, r := range rs[:min(3, len(rs))] {
		parts = append(parts, fmt.Sprintf("%s %s, %s answered", r.Label, plural(r.Complaints, "complaint", "complaints"), rate(r.Answered, r.Complaints)))
		if m, ok := r.median(); ok {
			parts[len(parts)-1] += ", median " + Span(m)
		}
	}
	if len(rs) > 3 {
		parts = append(parts, fmt.Sprintf("and %d more", len(rs)-3))
	}
	alt := "Bar chart of complaints and answered complaints per source: " + strings.Join(parts, "; ") + "."
	if len(rs) > 1 {
		alt += lowestRate(rs)
	}
	return Chart{Name: "complaints-by-source.png", Title: title, Alt: alt, Fallback: table(rs, true), PNG: png}, nil
}

// fold orders rows largest first, which is how a manager ranks sources,
// and sums everything beyond maxBars-1 into one "Others" row.
func fold(rs []row) []row {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b row) int { return cmp.Compare(b.Complaints, a.Complaints) })
	if len(rs) <= maxBars {
		return rs
	}
	others := row{Bar: Bar{Label: "Others"}, folded: len(rs) - (maxBars - 1)}
	for _, r := range rs[maxBars-1:] {
		others.Complaints, others.Answered = others.Complaints+r.Complaints, others.Answered+r.Answered
	}
	return append(rs[:maxBars-1], others)
}

// lowestRate names the row with the lowest response rate, unless every
// complaint was answered. Rates are compared by cross-multiplying, so no
// count is ever a divisor; ties go to the first row.
func lowestRate(rs []row) string {
	w := -1
	for i, r := range rs {
		if r.Complaints > 0 && (w < 0 || r.Answered*rs[w].Complaints < rs[w].Answered*r.Complaints) {
			w = i
		}
	}
	if w < 0 || rs[w].Answered == rs[w].Complaints {
		return ""
	}
	return fmt.Sprintf(" Lowest response rate: %s, %s.", rs[w].Label, rate(rs[w].Answered, rs[w].Complaints))
}

// sourceHeight is the image height for n rows: title, axis and legend, then
// a row per source.
func sourceHeight(n int) int { return max(300, 160+rowPx*n) }

// drawBars draws complaints and answered side by side for each row, either
// as columns left to right or as bars top to bottom.
func drawBars(name, title string, rs []row, label func(int) string, horizontal bool, height int, barW vg.Length) ([]byte, error) {
	n := len(rs)
	comp, ans := make(plotter.Values, n), make(plotter.Values, n)
	var ticks plot.ConstantTicks
	peak := 0
	for i, r := range rs {
		// gonum counts rows upwards, so horizontal bars are reversed to put the first on top.
		at := i
		if horizontal {
			at = n - 1 - i
		}
		comp[at], ans[at] = float64(r.Complaints), float64(r.Answered)
		ticks = append(ticks, plot.Tick{Value: float64(at), Label: label(i)})
		peak = max(peak, r.Complaints)
	}
	p := newPlot(title, pt(barsW))
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{Y: 225}, color.Gray{Y: 225}
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.75), vg.Points(0.75)
	p.Add(grid)
	// Complaints come first: left of answered in columns, above it in bars.
	for i, s := range []struct {
		vs  plotter.Values
		col color.Color
	}{{comp, complaintsColor}, {ans, answeredColor}} {
		b, err := plotter.NewBarChart(s.vs, barW)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width, b.Horizontal = s.col, 0, horizontal
		b.Offset = barW * vg.Length(i*2-1) / 2
		if horizontal {
			b.Offset = -b.Offset
		}
		p.Add(b)
	}
	p.Legend.Add("Complaints", swatch{complaintsColor})
	p.Legend.Add("Answered", swatch{answeredColor})
	p.Legend.Top = true
	cat, val := &p.X, &p.Y
	if horizontal {
		cat, val = val, cat
		grid.Horizontal.Width = 0
		p.Add(rateLabels(rs))
		// A spare row on top holds the legend; spare width on the right
		// holds the rate written after the longest bar.
		cat.Min, cat.Max = -0.5, float64(n)+0.5
		val.Min, val.Max = 0, float64(peak)*1.45
	} else {
		grid.Vertical.Width = 0
		cat.Min, cat.Max = -0.5, float64(n)-0.5
		val.Min, val.Max = 0, float64(peak)*1.25 // headroom for the legend
	}
	cat.Tick.Marker, cat.Tick.Length = ticks, 0
	val.Tick.Marker, val.Label.Text = intTicks{}, "Complaints"
	return render(name, barsW, height, p.Draw)
}

// rateLabels writes each row's response rate and median after its bars.
type rateLabels []row

func (rl rateLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(12, color.Gray{Y: 40}, draw.XLeft, draw.YCenter)
	for i, r := range rl {
		s := rate(r.Answered, r.Complaints)
		if m, ok := r.median(); ok {
			s += " · median " + Span(m)
		}
		c.FillText(sty, vg.Point{X: trX(float64(r.Complaints)) + vg.Points(6), Y: trY(float64(len(rl) - 1 - i))}, s)
	}
}

// table is the text stand-in: one aligned line per row, with rate and
// median for sources, where they are the point of the chart.
func table(rs []row, withRate bool) string {
	lw, cw, aw := 0, 1, 1
	for _, r := range rs {
		lw = max(lw, len([]rune(trimLabel(r.Label, maxLabel))))
		cw, aw = max(cw, len(fmt.Sprint(r.Complaints))), max(aw, len(fmt.Sprint(r.Answered)))
	}
	var lines []string
	for _, r := range rs {
		line := fmt.Sprintf("%-*s  complaints %*d  answered %*d", lw, trimLabel(r.Label, maxLabel), cw, r.Complaints, aw, r.Answered)
		if withRate {
			median := "–"
			if m, ok := r.median(); ok {
				median = Span(m)
			}
			line += fmt.Sprintf("  %5s  median %s", rate(r.Answered, r.Complaints), median)
		}
		lines = append(lines, line)
	}
	return tableLines(lines)
}
