// Package telegramsim is a local Telegram Bot API: it speaks the real wire
// protocol at /bot<token>/<method> over loopback, and serves downloads at
// /file/bot<token>/<file_path>, so that the real go-telegram-bot-api client
// can be driven without the internet.
//
// Tests, end-to-end runs of the binary and `caredesk demo` use it to play
// the customer (CustomerWrites, CustomerSendsPhoto, CustomerSendsFile,
// CustomerEdits, PressButton, ShareContact, BlockBot, Push), to watch what
// the bot sent (Sent, Message, Answers, Calls, Downloads) and to break the
// network on purpose (FailNext, FailWhere, FailDownloads, SetDown). It is
// ordinary code, not a test helper, because the shipped demo runs it.
package telegramsim

import (
	"caredesk/sim/change"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// BotUsername is the @username getMe answers, so that logs and demos can
// show which bot they talk to.
const BotUsername = "caredesk_demo_bot"

// botUser is the bot's own account, as getMe and sent messages show it.
var botUser = User{ID: 7000000001, IsBot: true, FirstName: "caredesk demo", Username: BotUsername}

// User is a Telegram account, as it appears in "from" fields.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	// LanguageCode is the IETF tag of the language of the customer's app
	// ("tr", "pt-br"), which Telegram puts in every "from"; "" for none.
	LanguageCode string `json:"language_code,omitempty"`
}

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	token string
	ln    net.Listener
	srv   *http.Server

	mu      sync.Mutex
	changed change.Signal // see Wait
	closed  bool
	stop    chan struct{} // closed by Close, ends the webhook pusher
	done    sync.WaitGroup

	calls   map[string]int // by lower-case method name
	faults  map[string]*fault
	rules   []*rule
	down    bool
	revoked bool // see RevokeToken
	readAll bool // getMe's can_read_all_group_messages; see SetPrivacy
	updates updateQueue
	chats   map[int64]*chat
	sent    []SentMessage
	queries queries // callback queries of pressed buttons; see PressButton
	polls   pollState
	hook    webhook
	allowed []string         // allowed_updates; nil: Telegram's default (see allowed.go)
	files   fileStore        // what customers and the bot sent as files (files.go)
	clock   func() time.Time // the time of messages; nil for time.Now (see SetClock)
}

// fault is a FailNext: the next n calls of a method fail with code.
type fault struct {
	n, code, retryAfter int
}

// rule is a FailWhere: calls whose parameters match fail with code.
type rule struct {
	method           string
	match            func(params map[string]string) bool
	code, retryAfter int
}

// chat is what the simulator knows of a conversation: enough to answer
// "chat not found" and to hand out message ids the way Telegram does, one
// counter per chat shared by both sides.
type chat struct {
	object   map[string]any // the chat as updates showed it
	lastMsg  int
	keyboard *ReplyKeyboard // the reply keyboard the customer has, nil for none; see ShareContact
	blocked  bool           // the customer blocked the bot; see BlockBot
	// incoming are the messages others sent in the chat, by message_id, so
	// that CustomerEdits can edit them and deleteMessage delete them.
	incoming map[int]*incoming
}

// New starts a simulator for the bot token on a free loopback port.
func New(token string) (*Server, error) {
	if token == "" {
		return nil, errors.New("telegramsim: the token is empty")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("telegramsim: listen on loopback: %w", err)
	}
	s := &Server{
		token:   token,
		ln:      ln,
		stop:    make(chan struct{}),
		calls:   map[string]int{},
		faults:  map[string]*fault{},
		chats:   map[int64]*chat{},
		updates: updateQueue{nextID: firstUpdateID},
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	go func() {
		defer s.done.Done()
		s.pushLoop()
	}()
	return s, nil
}

// URL is the base URL of the API, for TELEGRAM_API_URL: methods live at
// URL()+"/bot"+token+"/"+method.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the simulator: open long polls and webhook pushes are cut off.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.notifyLocked()
	s.mu.Unlock()
	_ = s.srv.Close()
	s.done.Wait()
}

// notifyLocked wakes every Wait, long poll and the webhook pusher. s.mu must
// be held.
func (s *Server) notifyLocked() { s.changed.Notify() }

// Wait returns nil as soon as cond is true, re-checking it whenever the
// simulator's state changes (a call arrives, an update is queued or
// confirmed, a message is sent, a webhook push ends), or ctx's error when
// ctx ends first. cond must not block; it may call the Server's methods.
// Tests use Wait instead of sleeping.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if err := s.changed.Wait(ctx, cond); err != nil {
		return fmt.Errorf("telegramsim: condition not met: %w", err)
	}
	return nil
}

// Calls returns how many times method was called (case-insensitive, as
// Telegram treats method names), failed calls included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// FailNext makes the next n calls of method answer the error code. A
// retryAfter above 0 is sent as parameters.retry_after, as Telegram does with
// 429 Too Many Requests. The description is Telegram's for that code, e.g.
// 403 "Forbidden: bot was blocked by the user".
func (s *Server) FailNext(method string, n, code, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[strings.ToLower(method)] = &fault{n: n, code: code, retryAfter: retryAfter}
}

// FailWhere makes every call of method whose parameters satisfy match
// answer the error code, until the returned function is called. It serves
// faults that FailNext cannot aim, such as the second part of a long reply
// or one blocked customer among many. match runs with the simulator locked
// and must not call the Server.
func (s *Server) FailWhere(method string, match func(params map[string]string) bool, code, retryAfter int) (undo func()) {
	r := &rule{method: strings.ToLower(method), match: match, code: code, retryAfter: retryAfter}
	s.mu.Lock()
	s.rules = append(s.rules, r)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.rules {
			if x == r {
				s.rules = append(s.rules[:i], s.rules[i+1:]...)
				return
			}
		}
	}
}

// RevokeToken makes Telegram refuse the bot's token, as after /revoke in
// @BotFather: every method answers 401 Unauthorized and long polls in
// flight end with it, until RevokeToken(false) (for tests, the token is
// valid again: as if the operator had set the new one).
func (s *Server) RevokeToken(revoked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = revoked
	s.notifyLocked()
}

// SetDown makes every method answer 502 Bad Gateway with an HTML page, as a
// broken proxy in front of the API would, and pauses webhook pushes.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
	s.notifyLocked()
}

// methods are the Bot API methods the simulator knows, by lower-case name.
var methods = map[string]func(s *Server, r *http.Request, p map[string]string) answer{
	"getme":          (*Server).getMe,
	"getupdates":     (*Server).getUpdates,
	"sendmessage":    (*Server).sendMessage,
	"setwebhook":     (*Server).setWebhook,
	"deletewebhook":  (*Server).deleteWebhook,
	"getwebhookinfo": (*Server).getWebhookInfo,

	// Inline keyboards (keyboard.go).
	"answercallbackquery":    (*Server).answerCallbackQuery,
	"editmessagetext":        (*Server).editMessageText,
	"editmessagereplymarkup": (*Server).editMessageReplyMarkup,

	// Files (files.go, sendfile.go) and edits (edit.go).
	"getfile":            (*Server).getFile,
	"sendphoto":          (*Server).sendPhoto,
	"senddocument":       (*Server).sendDocument,
	"sendmediagroup":     (*Server).sendMediaGroup,
	"editmessagecaption": (*Server).editMessageCaption,
	"deletemessage":      (*Server).deleteMessage,
}

// answer is what a method returns: a result, or an error in Telegram's
// shape.
type answer struct {
	result     any
	code       int // 0 for success
	desc       string
	retryAfter int
}

func ok(result any) answer { return answer{result: result} }

func fail(code int, desc string) answer { return answer{code: code, desc: desc} }

// ServeHTTP answers /bot<token>/<method> like api.telegram.org, and
// /file/bot<token>/<file_path> with a file's bytes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// While down, the proxy in front of the API still sees every call, so
	// Calls counts attempts made during an outage too. Downloads pass the
	// same proxy, so they break too, but they are no method calls.
	s.mu.Lock()
	down, revoked := s.down, s.revoked
	if down {
		if rest, isCall := strings.CutPrefix(r.URL.Path, "/bot"); isCall {
			if _, method, ok := strings.Cut(rest, "/"); ok {
				s.calls[strings.ToLower(method)]++
				s.notifyLocked()
			}
		}
	}
	s.mu.Unlock()
	if down {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
		return
	}
	// Before /bot: a download's path starts with /file/bot, and it is no
	// method to count or to fail with FailNext.
	if rest, isFile := strings.CutPrefix(r.URL.Path, "/file/bot"); isFile {
		s.serveFile(w, r, rest, revoked)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	if !found {
		writeAnswer(w, fail(http.StatusNotFound, "Not Found"))
		return
	}
	token, method, found := strings.Cut(rest, "/")
	if !found || token != s.token || revoked {
		if found && token == s.token {
			s.mu.Lock()
			s.calls[strings.ToLower(method)]++ // a refused call is still a call
			s.notifyLocked()
			s.mu.Unlock()
		}
		writeAnswer(w, fail(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	params, files, err := readParams(w, r)
	switch {
	case errors.Is(err, errTooLarge):
		writeAnswer(w, fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large"))
		return
	case err != nil:
		writeAnswer(w, fail(http.StatusBadRequest, "Bad Request: "+err.Error()))
		return
	}
	if len(files) > 0 {
		r = withUploads(r, files)
	}
	name := strings.ToLower(method)
	s.mu.Lock()
	s.calls[name]++
	s.notifyLocked()
	a, faulty := s.faultLocked(name, params)
	s.mu.Unlock()
	if !faulty {
		handle, known := methods[name]
		if !known {
			a = fail(http.StatusNotFound, "Not Found: method not found")
		} else {
			a = handle(s, r, params)
		}
	}
	writeAnswer(w, a)
}

// faultLocked returns the injected error for this call, if any.
func (s *Server) faultLocked(method string, params map[string]string) (answer, bool) {
	for _, r := range s.rules {
		if r.method == method && r.match(params) {
			return answer{code: r.code, desc: describe(r.code, r.retryAfter), retryAfter: r.retryAfter}, true
		}
	}
	f := s.faults[method]
	if f == nil || f.n <= 0 {
		return answer{}, false
	}
	f.n--
	return answer{code: f.code, desc: describe(f.code, f.retryAfter), retryAfter: f.retryAfter}, true
}

// describe returns the description Telegram sends with an error code.
func describe(code, retryAfter int) string {
	switch code {
	case 400:
		return "Bad Request: chat not found"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden: bot was blocked by the user"
	case 404:
		return "Not Found"
	case 409:
		return "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	}
	return http.StatusText(code)
}

// writeAnswer writes a in the Bot API's envelope.
func writeAnswer(w http.ResponseWriter, a answer) {
	body := map[string]any{"ok": true, "result": a.result}
	if a.desc != "" {
		body["description"] = a.desc
	}
	status := http.StatusOK
	if a.code != 0 {
		status = a.code
		body = map[string]any{"ok": false, "error_code": a.code, "description": a.desc}
		if a.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": a.retryAfter}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Limits on what a call may carry. Telegram takes uploads of up to 50 MB
// per file; the whole request may hold a full album of them.
const (
	maxUploadSize  = 50 << 20
	maxRequestSize = maxMediaGroup*maxUploadSize + 1<<20
	formMemory     = 32 << 20 // multipart bytes kept in memory; the rest wait in temporary files
)

// errTooLarge is a request body over maxRequestSize, which Telegram's front
// refuses with 413 before the API sees it.
var errTooLarge = errors.New("request entity too large")

// readParams collects a call's parameters from the query string and from a
// form-encoded, multipart or JSON body, the ways the Bot API accepts them.
// JSON values that are not strings keep their JSON text ("42", "true").
// The files of a multipart body come apart from the other parameters, by
// the name of their part ("photo", "document", or whatever attach://
// names), since they are bytes rather than text.
func readParams(w http.ResponseWriter, r *http.Request) (map[string]string, map[string]upload, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	if r.Body == nil || r.Method == http.MethodGet {
		return params, nil, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestSize)
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var files map[string]upload
	switch ctype {
	case "application/json":
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			if tooLarge(err) {
				return nil, nil, errTooLarge
			}
			return nil, nil, fmt.Errorf("can't parse JSON body: %v", err)
		}
		for k, raw := range body {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params[k] = str
			} else {
				params[k] = string(raw)
			}
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(formMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			if tooLarge(err) {
				return nil, nil, errTooLarge
			}
			return nil, nil, fmt.Errorf("can't parse form: %v", err)
		}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		var err error
		if files, err = readUploads(r); err != nil {
			return nil, nil, err
		}
	}
	return params, files, nil
}

// tooLarge reports whether err is from a body over MaxBytesReader's limit.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// SetPrivacy is @BotFather's /setprivacy: with privacy on, as a new bot
// has it, getMe says the bot cannot read all group messages
// (can_read_all_group_messages false).
func (s *Server) SetPrivacy(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readAll = !on
	s.notifyLocked()
}

// getMe answers with the bot's account, as the client's constructor expects.
func (s *Server) getMe(*http.Request, map[string]string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok(map[string]any{
		"id": botUser.ID, "is_bot": true, "first_name": botUser.FirstName, "username": botUser.Username,
		"can_join_groups": true, "can_read_all_group_messages": s.readAll, "supports_inline_queries": false,
	})
}

// parseURL accepts the absolute http(s) URLs a webhook may have.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("invalid webhook URL specified")
	}
	return u, nil
}
