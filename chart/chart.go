// Package chart draws a desk's report figures as PNG images for Slack and
// Discord, together with the alt text and the plain-text table that stand in
// for a picture wherever a picture cannot go.
//
// The package is deliberately pure: plain numbers in, bytes out. It knows
// nothing of the bot, the store or the report that computed the numbers, so a
// change there cannot break a chart and a chart can be tested without them.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart is one rendered picture with the words that stand in for it: a chat
// may refuse the upload, and a screen reader cannot see pixels, so every
// picture travels with its text.
type Chart struct {
	Name     string // file name, e.g. "first-answer-by-hour.png"
	Title    string // shown above the image on the desk
	Alt      string // one or two sentences with the key numbers, for screen readers (Slack's alt_text)
	Fallback string // the same data as a small monospaced table, posted when the image cannot be uploaded
	PNG      []byte
}

// ErrNoData means there is nothing to draw; say so in words instead of
// posting an empty chart, which a manager would read as "all is well".
var ErrNoData = errors.New("chart: no data")

// dpi is chosen so that the 10–12 pt text gonum/plot uses by default stays
// legible after Slack scales a 1200 px wide image down to its preview.
const dpi = 96

// pt converts pixels to the points gonum/plot lays out in, so that sizes can
// be specified in the pixels the chat client shows.
func pt(px float64) vg.Length { return vg.Length(px) * vg.Inch / dpi }

// sans replaces plot's default serif face: Liberation Sans reads better at
// small sizes and, like every Liberation face, is embedded, so rendering
// needs no system fonts and covers Latin Extended and Cyrillic names.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle is a text style for labels the package draws by hand.
func textStyle(size float64, c color.Color, x draw.XAlignment, y draw.YAlignment) text.Style {
	return text.Style{Color: c, Font: font.From(sans, vg.Length(size)), XAlign: x, YAlign: y, Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot in the package's house style. The title is shrunk
// until it fits, since gonum/plot neither wraps nor clips a long title and
// titles carry free text such as a time zone name.
func newPlot(title string, width vg.Length) *plot.Plot {
	p := plot.New()
	p.Title.Text = drawable(title)
	p.Title.Padding = vg.Points(8)
	p.Title.TextStyle.Font = font.From(sans, 15)
	for p.Title.TextStyle.Font.Size > 8 && p.Title.TextStyle.Width(p.Title.Text) > width-vg.Points(8) {
		p.Title.TextStyle.Font.Size--
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 11)
		a.Color, a.Tick.Color = color.Gray{Y: 120}, color.Gray{Y: 120}
	}
	p.Legend.TextStyle.Font = font.From(sans, 12)
	p.Legend.Padding, p.Legend.XOffs = vg.Points(4), -vg.Points(4)
	return p
}

// render draws onto a fresh white canvas of w×h pixels and encodes it. gonum
// reports misuse by panicking (an empty tick range, a bad palette); a report
// chart must never take the bot down with it, so a panic becomes an error.
func render(name string, w, h int, draw1 func(draw.Canvas)) (png []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			png, err = nil, fmt.Errorf("chart %s: rendering failed: %v", name, r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(pt(float64(w)), pt(float64(h))), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	// A small margin keeps tick labels at the edges from touching the border.
	draw1(draw.Crop(dc, vg.Points(6), -vg.Points(14), vg.Points(6), -vg.Points(8)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %s: encoding PNG: %w", name, err)
	}
	return buf.Bytes(), nil
}

// Span writes a duration the way a person says it: "40 s", "45 min",
// "3 h 10 min", "2 d 4 h". Precision drops as the duration grows because
// nobody acts on the seconds of a two-day wait. Nothing at all is "0 min":
// in business hours, a wait that fell wholly outside them. The report's
// words use it too, so a chart and the sentence beside it never differ.
func Span(d time.Duration) string {
	if d == 0 {
		return "0 min"
	}
	if d = d.Abs(); d < 59500*time.Millisecond {
		return fmt.Sprintf("%d s", d.Round(time.Second)/time.Second)
	}
	for _, u := range []struct {
		unit, prec time.Duration
		big, small string
	}{{24 * time.Hour, time.Hour, "d", "h"}, {time.Hour, time.Minute, "h", "min"}} {
		if r := d.Round(u.prec); r >= u.unit {
			s := fmt.Sprintf("%d %s", r/u.unit, u.big)
			if rest := r % u.unit / u.prec; rest > 0 {
				s += fmt.Sprintf(" %d %s", rest, u.small)
			}
			return s
		}
	}
	return fmt.Sprintf("%d min", d.Round(time.Minute)/time.Minute)
}

// rate writes answered/complaints as "83 %". It never claims 100 % while a
// complaint is unanswered, nor 0 % once one was answered, because those two
// numbers are the ones a manager acts on; "–" when there were no complaints.
func rate(answered, complaints int) string {
	if complaints <= 0 {
		return "–"
	}
	pct := int(math.Round(100 * float64(answered) / float64(complaints)))
	if pct == 100 && answered < complaints {
		pct = 99
	}
	if pct == 0 && answered > 0 {
		pct = 1
	}
	return strconv.Itoa(pct) + " %"
}

// plural picks the word form for n, so that alt text reads as a sentence.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// intTicks marks whole numbers in steps of 1, 2 or 5 times a power of ten,
// at most eight of them: a count of 2.5 complaints means nothing, and small
// counts are common on a quiet desk.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for (hi-lo)/step > 8 {
		if m := step / math.Pow(10, math.Floor(math.Log10(step))); m == 2 {
			step *= 2.5
		} else {
			step *= 2
		}
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}

// swatch is a legend thumbnail of one flat colour, for bars and for the
// heat map's "no complaints" and "no answer" keys alike.
type swatch struct{ color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.SetColor(s.Color)
	c.Fill(c.Rectangle.Path())
}

// drawable replaces the characters Liberation lacks (CJK, emoji) with "?".
// Left alone they vanish without a trace, and a bar whose name is blank is
// worse than one whose name is partly legible; the text stand-ins keep the
// original, since chat clients have fonts for it.
func drawable(s string) string {
	face := font.DefaultCache.Lookup(sans, 12)
	return strings.Map(func(r rune) rune {
		if i, err := face.Face.GlyphIndex(nil, r); err != nil || (i == 0 && unicode.IsGraphic(r) && !unicode.IsSpace(r)) {
			return '?'
		}
		return r
	}, s)
}

// trimLabel shortens a label to n characters so one long name cannot squeeze
// the plot area of everyone else's bars.
func trimLabel(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// tableLines joins lines, dropping the trailing spaces of padded columns that
// chat clients would otherwise keep and wrap on.
func tableLines(lines []string) string {
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
