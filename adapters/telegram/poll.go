package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"caredesk/bot"
	"caredesk/quietlog"
)

// Poll receives updates by long polling and hands each customer message to
// r, each press of a rating button to Options.Rater and each block or
// unblock of the bot to Options.Reacher, in order, until ctx ends; then it
// returns nil.
//
// It keeps its own offset rather than using the library's GetUpdatesChan,
// which confirms updates before anyone stored them. Here an update is
// confirmed (the next getUpdates carries offset = update_id+1) only after
// Receive returned nil for it. When Receive fails, the rest of the batch
// waits and the same updates are fetched again after a pause: Telegram
// delivers them again and the core drops what it already has. Network
// failures are logged and retried the same way, with a pause that doubles
// up to a minute. Close ends Poll too.
func (c *Client) Poll(ctx context.Context, r Receiver) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.life, cancel)()
	c.log.Info("receiving Telegram updates by long polling", "bot", "@"+c.Username(), "api", c.apiURL)
	pause := backoff{first: c.backoff, next: c.backoff}
	quiet := quietlog.New(c.log, time.Minute)
	webhookChecked := false
	offset := 0
	// After a failure the first poll is a short one: a long poll that
	// succeeds says so only when it ends, and the desk should learn at
	// once that Telegram takes the token again.
	failing := false
	for ctx.Err() == nil {
		if !webhookChecked {
			if err := c.dropWebhook(ctx); err != nil {
				if ctx.Err() == nil {
					c.onState(false, c.stateReason(err))
					c.log.Warn("could not check the bot's webhook before polling; trying again", "err", c.redact(err), "retry_in", pause.next)
					pause.wait(ctx)
				}
				continue
			}
			webhookChecked = true
		}
		updates, err := c.getUpdates(ctx, offset, failing)
		if err != nil {
			if ctx.Err() == nil {
				failing = true
				c.onState(false, c.stateReason(err))
				c.log.Warn("could not get updates from Telegram; trying again", "err", c.redact(c.pollError(err)), "retry_in", pause.next)
				pause.wait(ctx)
			}
			continue
		}
		failing = false
		c.onState(true, "")
		offset, err = c.receiveAll(ctx, r, updates, offset)
		if err != nil {
			if ctx.Err() == nil {
				// A full disk fails every try: said once a minute.
				quiet.Log(slog.LevelError, "store failed", "could not store a Telegram update; it stays unconfirmed and comes again", "update_id", offset, "err", c.redact(err), "retry_in", pause.next)
				pause.wait(ctx)
			}
			continue
		}
		pause.reset()
	}
	return nil
}

// receiveAll passes updates to the core and returns the offset that
// confirms the ones done: up to the first update the core could not store.
// Each chat's updates go in order (a message before its edit); different
// chats' go side by side, so that their commits can be shared (a commit is
// synced to disk, and a storm of complaints is many chats at once). An
// update after one that failed may be stored too; it comes again with the
// failed one and is taken once.
func (c *Client) receiveAll(ctx context.Context, r Receiver, updates []update, offset int) (int, error) {
	var fresh []update
	for _, u := range updates {
		if u.UpdateID >= offset { // a well-behaved server never sends one confirmed already
			fresh = append(fresh, u)
		}
	}
	chats := map[int64][]int{}
	var order []int64
	for i, u := range fresh {
		chat := chatOf(u)
		if _, seen := chats[chat]; !seen {
			order = append(order, chat)
		}
		chats[chat] = append(chats[chat], i)
	}
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	for _, chat := range order {
		wg.Go(func() {
			for _, i := range chats[chat] {
				if errs[i] = c.take(ctx, r, fresh[i]); errs[i] != nil {
					return // the chat's later updates wait for this one
				}
			}
		})
	}
	wg.Wait()
	for i, u := range fresh {
		// A chat's updates not taken come after its failed one, and so
		// after the first failure in update order: none is confirmed.
		if errs[i] != nil {
			return u.UpdateID, errs[i]
		}
		offset = u.UpdateID + 1
	}
	return offset, nil
}

// chatOf is the chat an update is about, 0 for none: the unit whose
// updates keep their order.
func chatOf(u update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// refused reports whether Receive's error is a deliberate, final "no" of the
// core (an application error) rather than a failure to store: such an
// update would fail forever and hold up every customer behind it.
func refused(err error) bool {
	return bot.ErrorCode(err) != "" || bot.IsPermanent(err)
}

// getUpdates asks for the updates from offset on, waiting up to the poll
// timeout for some to arrive, or not at all when short. The call is made
// by hand rather than with the library's GetUpdates, so that each update
// is read by parseUpdate, which keeps what the library drops.
func (c *Client) getUpdates(ctx context.Context, offset int, short bool) ([]update, error) {
	api, stop := c.call(ctx, c.poll+pollOverhead)
	defer stop()
	timeout := int(c.poll / time.Second)
	if short {
		timeout = 0
	}
	params := tgbotapi.Params{}
	params.AddNonZero("offset", offset)
	params.AddNonZero("timeout", timeout)
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return nil, err // a list of strings always encodes
	}
	resp, err := api.MakeRequest("getUpdates", params)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raw); err != nil {
		return nil, fmt.Errorf("getUpdates answered something that is not a list of updates: %w", err)
	}
	updates := make([]update, 0, len(raw))
	for _, r := range raw {
		u, err := parseUpdate(r)
		if err != nil {
			return nil, fmt.Errorf("getUpdates answered an update caredesk cannot read: %w", err)
		}
		updates = append(updates, u)
	}
	return updates, nil
}

// pollError explains the failures of getUpdates that need a person.
func (c *Client) pollError(err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("getUpdates at %s: %w", c.apiURL, err)
	}
	switch apiErr.Code {
	case http.StatusConflict:
		return fmt.Errorf("telegram serves updates to one receiver per bot, and another has them (%d %s): stop the other program or caredesk instance using this TELEGRAM_BOT_TOKEN, or unset its webhook", apiErr.Code, apiErr.Message)
	case http.StatusUnauthorized, http.StatusNotFound:
		return fmt.Errorf("TELEGRAM_BOT_TOKEN was rejected by Telegram (%d %s): the token was revoked; copy the new one from @BotFather", apiErr.Code, apiErr.Message)
	}
	return fmt.Errorf("getUpdates failed (%d %s): %w", apiErr.Code, apiErr.Message, err)
}

// stateReason tells the desk channel why Telegram gives caredesk no
// updates, and what to do. It names codes, not Telegram's own words, which
// need not be fit for the channel.
func (c *Client) stateReason(err error) string {
	var apiErr *tgbotapi.Error
	var notAPI *notAPIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.Code == http.StatusUnauthorized || apiErr.Code == http.StatusNotFound):
		return fmt.Sprintf("Telegram refuses caredesk's token (%d %s): the bot token was revoked or is wrong. Create a new one with @BotFather, set TELEGRAM_BOT_TOKEN and restart caredesk.",
			apiErr.Code, http.StatusText(apiErr.Code))
	case errors.As(err, &apiErr) && apiErr.Code == http.StatusConflict:
		return "Telegram gives this bot's updates to another receiver (409 Conflict): another caredesk or program polls with the same bot token, or a webhook is set for it. Stop the other one or delete its webhook; caredesk takes the updates back by itself."
	case errors.As(err, &apiErr):
		return fmt.Sprintf("Telegram answers caredesk's polls with an error (%d %s); caredesk keeps trying.", apiErr.Code, http.StatusText(apiErr.Code))
	case errors.As(err, &notAPI):
		return fmt.Sprintf("Telegram's Bot API at %s answers %s with a page that is not the Bot API's (a failing proxy, or a wrong TELEGRAM_API_URL); caredesk keeps trying.", c.apiURL, notAPI.status)
	}
	return fmt.Sprintf("caredesk cannot reach Telegram's Bot API at %s; it keeps trying. Check TELEGRAM_API_URL and the network.", c.apiURL)
}

// dropWebhook deletes the bot's webhook if one is set: Telegram refuses
// getUpdates while a webhook is active.
func (c *Client) dropWebhook(ctx context.Context) error {
	api, stop := c.call(ctx, callTimeout)
	defer stop()
	info, err := api.GetWebhookInfo()
	if err != nil {
		return fmt.Errorf("getWebhookInfo: %w", err)
	}
	if !info.IsSet() {
		return nil
	}
	c.log.Warn("deleting the bot's webhook, because Telegram sends no updates to getUpdates while one is set", "webhook", info.URL, "pending_updates", info.PendingUpdateCount)
	// Pending updates are kept: they are complaints, and polling fetches them.
	if _, err := api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return fmt.Errorf("deleteWebhook: %w", err)
	}
	return nil
}

// backoff is a pause that doubles after each failure, up to maxBackoff.
type backoff struct {
	first, next time.Duration
}

// wait pauses for the current delay or until ctx ends, then doubles it.
func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.next)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	b.next = min(2*b.next, maxBackoff)
}

// reset starts the next run of failures from the first delay.
func (b *backoff) reset() { b.next = b.first }
