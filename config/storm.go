package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// The spans storm mode's behind may take: less than a few seconds is
// every small burst, more than an hour is no storm mode at all.
const (
	minStormBehind = time.Second
	maxStormBehind = time.Hour
)

// storm reads when new complaints are listed in digest posts instead of a
// thread each:
//
//	storm:
//	  behind: 30s   # the desk's queue is this far behind (1s–1h)
//	  rate: 1       # posts a second the desk channel takes
//
// or "storm: off", which keeps the default rate for the pace of posts.
func (p *parser) storm(n *yaml.Node, path string) {
	s := &p.f.Storm
	settings, isOff := p.offOrSettings(n, path, "behind, rate")
	if isOff {
		s.Behind = 0 // the rate stays: posts keep to it all the same
	}
	if !settings {
		return
	}
	p.fields(n, path, map[string]func(*yaml.Node, string){
		"behind": func(v *yaml.Node, path string) {
			d := p.duration(v, path)
			switch {
			case d == 0: // p.duration said why
			case d < minStormBehind || d > maxStormBehind:
				p.fail(v, path, "%q is not a span of 1s to 1h: storm mode starts when the desk's posts are this far behind, like 30s or 2m", v.Value)
			default:
				s.Behind = d
			}
		},
		"rate": func(v *yaml.Node, path string) {
			r, ok := number(v)
			if !ok || r <= 0 || r > 100 {
				p.fail(v, path, "%q is not a number above 0 and at most 100: it is how many posts a second the desk channel takes, about 1 on Slack and Discord", v.Value)
				return
			}
			s.Rate = r
		},
	})
}
