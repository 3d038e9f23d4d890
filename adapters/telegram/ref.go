package telegram

import (
	"strconv"
	"strings"
)

// sentRef is every message a reply became on Telegram, as Send answers it
// and EditSent and DeleteSent read it. Written as decimal message ids in
// the order they were sent:
//
//	"105"          one text message
//	"105,106"      a text Telegram's 4096 characters cut in two parts
//	"105,106+107"  a long text in two parts, then a file (or "+107,108" an album)
//	"+105"         a file whose caption carries the words, or with no words
//	"+105,106,107" an album, the words (if any) in the caption of 105
//
// Before the "+" are the text messages (sendMessage), which carry the
// words; after it the messages of files (one per file, an album's too),
// which carry the words in the first one's caption when there is no text
// before the "+". The first id is so always the message that carries the
// words, and the "+" says whether it is a text or a caption. A ref without
// "+" and of one id is also what Send answered before refs listed every
// message: the words' message, of either kind (and for a text cut in
// parts, its last part); EditSent edits such a ref the way it did then.
type sentRef struct {
	texts []int // the text messages, in order: the words' parts
	files []int // the messages of files, in order
	plain bool  // one id, no "+": a text, or a ref from before lists
}

// String writes r the way parseRef reads it.
func (r sentRef) String() string {
	var s strings.Builder
	for i, id := range r.texts {
		if i > 0 {
			s.WriteByte(',')
		}
		s.WriteString(strconv.Itoa(id))
	}
	for i, id := range r.files {
		if i == 0 {
			s.WriteByte('+')
		} else {
			s.WriteByte(',')
		}
		s.WriteString(strconv.Itoa(id))
	}
	return s.String()
}

// all is every message of r, texts first.
func (r sentRef) all() []int {
	return append(append([]int(nil), r.texts...), r.files...)
}

// parseRef reads a ref Send answered; ok is false for anything else.
func parseRef(ref string) (r sentRef, ok bool) {
	texts, files, plus := strings.Cut(ref, "+")
	ids := func(list string) ([]int, bool) {
		if list == "" {
			return nil, true
		}
		var out []int
		for _, s := range strings.Split(list, ",") {
			id, err := strconv.Atoi(s)
			if err != nil || id <= 0 || s != strconv.Itoa(id) {
				return nil, false
			}
			out = append(out, id)
		}
		return out, true
	}
	var okTexts, okFiles bool
	r.texts, okTexts = ids(texts)
	r.files, okFiles = ids(files)
	if !okTexts || !okFiles || (plus && len(r.files) == 0) || len(r.texts)+len(r.files) == 0 {
		return sentRef{}, false
	}
	r.plain = !plus && len(r.texts) == 1
	return r, true
}
