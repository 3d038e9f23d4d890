package chart

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Cell is one hour of the week in the heat map. The hour is the team's local
// hour, because "Saturday 02:00" is when the customer waited and when a rota
// has to change, whatever UTC says.
type Cell struct {
	Count    int           // complaints opened in that hour over the period
	Median   time.Duration // median time to first answer of those answered (0 is an answer within the second)
	Answered int           // how many of Count were answered: 0 draws the hour as nobody answered; weights the hour when hours are pooled in the text table
}

var weekdays = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

const (
	heatW, heatH = 1200, 600
	keyH         = 58 // points below the heat map for the colour key
)

// The ramp runs green → yellow → red as managers expect of "good → bad".
// Hours that had complaints and no answer get a darker red beyond the ramp:
// they are worse than any wait that ended, and must not pass for one. Hours
// without complaints are a neutral grey so that quiet is not read as fast.
var (
	fastColor     = color.RGBA{0x1a, 0x98, 0x50, 0xff}
	midColor      = color.RGBA{0xfe, 0xe0, 0x8b, 0xff}
	slowColor     = color.RGBA{0xd7, 0x30, 0x27, 0xff}
	noAnswerColor = color.RGBA{0x8e, 0x01, 0x20, 0xff}
	emptyColor    = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
	keyTextColor  = color.Gray{Y: 60}
)

// colors adapts a colour slice to palette.Palette.
type colors []color.Color

func (c colors) Colors() []color.Color { return c }

// ramp builds the green → yellow → red palette with n colours per half.
// moreland's luminance maps interpolate in CIELAB, so equal steps in time
// look like equal steps in colour; such a map must rise in luminance, hence
// two halves that both climb towards the bright yellow.
func ramp(n int) (colors, error) {
	up, err1 := moreland.NewLuminance([]color.Color{fastColor, midColor})
	down, err2 := moreland.NewLuminance([]color.Color{slowColor, midColor})
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	a, b := up.Palette(n).Colors(), down.Palette(n).Colors()
	slices.Reverse(b)
	return append(slices.Clip(a), b[1:]...), nil
}

// The colour scale is logarithmic because going from 5 to 30 minutes matters
// to a customer as much as going from 4 to 24 hours; a linear scale would
// paint everything but the worst night green. It always spans at least
// scaleLo…scaleHi, so that a good week does not paint its slowest six minutes
// red, and yellow then falls near the one hour many social care teams promise.
const (
	scaleLo = 5 * time.Minute
	scaleHi = 8 * time.Hour
)

// logz places a duration on the colour scale. Sub-second medians are clamped:
// they are bots or data errors, and the logarithm must stay finite.
func logz(d time.Duration) float64 { return math.Log10(math.Max(d.Seconds(), 1)) }

// heatGrid feeds plotter.HeatMap. Rows count upwards in gonum, so row 6 is
// Monday, which puts Monday at the top as in a calendar.
type heatGrid [7][24]float64 // by weekday and hour; NaN: no complaints, +Inf: none answered

func (g *heatGrid) Dims() (c, r int)   { return 24, 7 }
func (g *heatGrid) Z(c, r int) float64 { return g[6-r][c] }
func (g *heatGrid) X(c int) float64    { return float64(c) }
func (g *heatGrid) Y(r int) float64    { return float64(r) }

// heatFigure is the drawn heat map and the pixel centre of each cell.
type heatFigure struct {
	png    []byte
	center [7][24]image.Point
}

// HourOfWeek renders the median time to first answer by hour of the week as
// a heat map, because a weekly average hides exactly what a manager needs to
// see: which nights and weekends go wrong. cells[0] is Monday, cells[6]
// Sunday, hours in the team's time zone. Hours without complaints are grey,
// hours with complaints and no answer take the worst colour and a "×" so that
// they do not depend on colour vision. title is e.g. "Time to first answer by
// hour, 1–7 Dec 2026 (Europe/Istanbul)".
func HourOfWeek(title string, cells [7][24]Cell) (Chart, error) {
	total := 0
	for i := range 7 * 24 {
		c := cells[i/24][i%24]
		if err := check("hour "+hourName(i/24, i%24), c.Count, c.Answered, c.Median); err != nil {
			return Chart{}, err
		}
		total += c.Count
	}
	if total == 0 {
		return Chart{}, fmt.Errorf("chart: hour of week: %w", ErrNoData)
	}
	fig, err := drawHeat(title, &cells)
	if err != nil {
		return Chart{}, err
	}
	return Chart{Name: "first-answer-by-hour.png", Title: title, Alt: heatAlt(&cells), Fallback: heatFallback(&cells), PNG: fig.png}, nil
}

// drawHeat is HourOfWeek's renderer; it also reports where it put each cell,
// taken from the very transforms it drew with, for the tests to sample.
func drawHeat(title string, cells *[7][24]Cell) (heatFigure, error) {
	var fig heatFigure
	g := new(heatGrid)
	lo, hi := logz(scaleLo), logz(scaleHi)
	for i := range 7 * 24 {
		switch c, z := cells[i/24][i%24], &g[i/24][i%24]; {
		case c.Count == 0:
			*z = math.NaN()
		case c.Answered == 0:
			*z = math.Inf(1)
		default:
			*z = logz(c.Median)
			lo, hi = math.Min(lo, *z), math.Max(hi, *z)
		}
	}
	pal, err := ramp(64)
	if err != nil {
		return fig, err
	}
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = lo, hi
	hm.NaN, hm.Overflow, hm.Underflow = emptyColor, noAnswerColor, fastColor

	p := newPlot(title, pt(heatW))
	p.Add(hm, heatOverlay{g})
	p.X.Label.Text = "Hour of day"
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Width, p.Y.Width = 0, 0 // the cells are their own frame
	p.Y.Tick.Length = 0
	var hours, days plot.ConstantTicks
	for h := range 24 {
		hours = append(hours, plot.Tick{Value: float64(h), Label: fmt.Sprintf("%02d", h)})
		if h%3 != 0 {
			hours[h].Label = ""
		}
	}
	for d, name := range weekdays {
		days = append(days, plot.Tick{Value: float64(6 - d), Label: name})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = hours, days

	fig.png, err = render("first-answer-by-hour", heatW, heatH, func(c draw.Canvas) {
		area := draw.Crop(c, 0, 0, keyH, 0)
		da := p.DataCanvas(area)
		p.Draw(area)
		key := c
		key.Max.Y = c.Min.Y + keyH
		drawKey(key, da.Min.X, da.Max.X, pal, lo, hi)
		trX, trY := p.Transforms(&da)
		for i := range 7 * 24 {
			fig.center[i/24][i%24] = image.Pt(int(trX(float64(i%24)).Dots(dpi)), heatH-int(trY(float64(6-i/24)).Dots(dpi)))
		}
	})
	return fig, err
}

// heatOverlay draws white gutters between cells, which turn anti-aliased
// seams into a deliberate grid and make single hours countable, and marks
// unanswered hours with "×".
type heatOverlay struct{ g *heatGrid }

func (o heatOverlay) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	gutter := draw.LineStyle{Color: color.White, Width: vg.Points(2)}
	for h := 1; h < 24; h++ {
		x := trX(float64(h) - 0.5)
		c.StrokeLine2(gutter, x, c.Min.Y, x, c.Max.Y)
	}
	for r := 1; r < 7; r++ {
		y := trY(float64(r) - 0.5)
		c.StrokeLine2(gutter, c.Min.X, y, c.Max.X, y)
	}
	mark := textStyle(18, color.White, draw.XCenter, draw.YCenter)
	for i := range 7 * 24 {
		if math.IsInf(o.g[i/24][i%24], 1) {
			c.FillText(mark, vg.Point{X: trX(float64(i % 24)), Y: trY(float64(6 - i/24))}, "×")
		}
	}
}

// keyTicks are the durations worth naming on the colour key.
var keyTicks = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
	4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour,
	96 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
}

// drawKey draws the colour key under the heat map: the ramp with duration
// ticks, then the two swatches the ramp cannot express. It is drawn by hand
// rather than as a second plot so it lines up with the heat map's left edge.
func drawKey(c draw.Canvas, x0, x1 vg.Length, pal colors, lo, hi float64) {
	top := c.Max.Y
	c.FillText(textStyle(11, keyTextColor, draw.XLeft, draw.YTop), vg.Point{X: x0, Y: top}, "Median time to first answer")
	barTop := top - vg.Points(17)
	barBot := barTop - vg.Points(11)
	w := (x1 - x0) * 0.6
	n := vg.Length(len(pal))
	for i, col := range pal {
		// Each step overlaps the next by a point so no hairline shows between them.
		l := x0 + w*vg.Length(i)/n
		c.FillPolygon(col, []vg.Point{{X: l, Y: barBot}, {X: l + w/n + 1, Y: barBot}, {X: l + w/n + 1, Y: barTop}, {X: l, Y: barTop}})
	}
	tick := draw.LineStyle{Color: keyTextColor, Width: vg.Points(0.75)}
	label := textStyle(10, keyTextColor, draw.XCenter, draw.YTop)
	last := math.Inf(-1)
	for _, d := range keyTicks {
		z := logz(d)
		if z < lo || z > hi || z-last < (hi-lo)/8 {
			continue
		}
		last = z
		x := x0 + w*vg.Length((z-lo)/(hi-lo))
		c.StrokeLine2(tick, x, barBot, x, barBot-vg.Points(4))
		c.FillText(label, vg.Point{X: x, Y: barBot - vg.Points(6)}, Span(d))
	}
	x := x0 + w + vg.Points(36)
	legend := textStyle(11, keyTextColor, draw.XLeft, draw.YCenter)
	for i, what := range []string{"no complaints", "no answer"} {
		box := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: barBot}, Max: vg.Point{X: x + vg.Points(16), Y: barTop}}}
		swatch{[]color.Color{emptyColor, noAnswerColor}[i]}.Thumbnail(&box)
		c.FillText(textStyle(13, color.White, draw.XCenter, draw.YCenter), box.Center(), []string{"", "×"}[i])
		c.FillText(legend, vg.Point{X: x + vg.Points(22), Y: box.Center().Y}, what)
		x += vg.Points(46) + legend.Width(what)
	}
}

// hourName names one hour of the week as people read a rota.
func hourName(d, h int) string { return fmt.Sprintf("%s %02d:00–%02d:00", weekdays[d], h, h+1) }

// extremes finds the slowest and fastest answered hours (-1 when none; as
// d*24+h, ties going to the earlier hour) and counts the unanswered ones.
func extremes(cells *[7][24]Cell) (slow, fast, unanswered int) {
	slow, fast = -1, -1
	for i := range 7 * 24 {
		switch c := cells[i/24][i%24]; {
		case c.Count == 0:
		case c.Answered == 0:
			unanswered++
		default:
			if slow < 0 || c.Median > cells[slow/24][slow%24].Median {
				slow = i
			}
			if fast < 0 || c.Median < cells[fast/24][fast%24].Median {
				fast = i
			}
		}
	}
	return slow, fast, unanswered
}

// heatAlt says in words what the heat map shows: its extremes and how many
// hours went unanswered.
func heatAlt(cells *[7][24]Cell) string {
	slow, fast, unanswered := extremes(cells)
	s := "Heat map of the median time to first answer by hour of the week."
	if slow < 0 {
		s += " No complaint was answered."
	} else {
		c := cells[slow/24][slow%24]
		what := "Slowest"
		if slow == fast {
			what = "Only answered hour"
		}
		s += fmt.Sprintf(" %s: %s, %s (%s).", what, hourName(slow/24, slow%24), Span(c.Median), plural(c.Count, "complaint", "complaints"))
		if slow != fast {
			s += fmt.Sprintf(" Fastest: %s, %s.", hourName(fast/24, fast%24), Span(cells[fast/24][fast%24].Median))
		}
	}
	return s + unansweredNote(unanswered)
}

func unansweredNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %s had complaints nobody answered.", plural(n, "hour", "hours"))
}

// The text table pools hours into night, morning, afternoon and evening:
// 24 columns do not fit in a chat message, four do.
var blocks = [5]int{0, 8, 12, 18, 24}

const blockHead = "     night       morning     afternoon   evening\n     00–08       08–12       12–18       18–24"

// blockMedian pools hours into one figure. The hourly medians are all we
// have, so it takes their median weighted by answers: close to the true
// median when hours are alike, and never a mean that one bad hour drags.
func blockMedian(hours []Cell) string {
	var hs []Cell
	count, total := 0, 0
	for _, c := range hours {
		count += c.Count
		if c.Answered > 0 {
			hs, total = append(hs, c), total+c.Answered
		}
	}
	if count == 0 {
		return "–"
	} else if len(hs) == 0 {
		return "no answer"
	}
	slices.SortStableFunc(hs, func(a, b Cell) int { return cmp.Compare(a.Median, b.Median) })
	acc, i := 0, 0
	for ; 2*(acc+hs[i].Answered) < total; i++ {
		acc += hs[i].Answered
	}
	return Span(hs[i].Median)
}

func heatFallback(cells *[7][24]Cell) string {
	lines := []string{blockHead}
	for d := range cells {
		line := fmt.Sprintf("%-5s", weekdays[d])
		for b := range 4 {
			line += fmt.Sprintf("%-12s", blockMedian(cells[d][blocks[b]:blocks[b+1]]))
		}
		lines = append(lines, line)
	}
	_, _, unanswered := extremes(cells)
	return tableLines(lines) + strings.Replace(unansweredNote(unanswered), " ", "\n", 1)
}
