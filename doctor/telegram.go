package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Telegram is the Telegram source to check.
type Telegram struct {
	Token      string
	APIURL     string // without a trailing slash
	WebhookURL string // "" when caredesk polls
	// HTTP makes the calls; nil is a client with a 30 s timeout.
	HTTP *http.Client
}

// TelegramChecks are the checks of the Telegram source: the token
// (getMe), that the bot's webhook is what caredesk's mode needs
// (getWebhookInfo), and whether it hears every message of a group.
func TelegramChecks(t Telegram) []Check {
	client := t.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var api *tgbotapi.BotAPI // nil until the token works
	return []Check{
		{Name: "Telegram: TELEGRAM_BOT_TOKEN works", Run: func(context.Context) error {
			endpoint := strings.ReplaceAll(t.APIURL, "%", "%%") + "/bot%s/%s"
			bot, err := tgbotapi.NewBotAPIWithClient(t.Token, endpoint, client)
			if err != nil {
				return telegramError(t, "getMe", err)
			}
			api = bot
			return nil
		}},
		{Name: "Telegram: the bot's webhook suits " + telegramMode(t), Run: func(context.Context) error {
			if api == nil {
				return Skip("TELEGRAM_BOT_TOKEN does not work")
			}
			info, err := api.GetWebhookInfo()
			if err != nil {
				return telegramError(t, "getWebhookInfo", err)
			}
			switch {
			case t.WebhookURL == "" && info.URL != "":
				return fmt.Errorf("a webhook is set for this bot (%s) while caredesk is configured for long polling, so Telegram gives the updates to the webhook and none to caredesk: "+
					"delete it (the Bot API's deleteWebhook) and stop whatever set it, or set TELEGRAM_WEBHOOK_URL to it if caredesk is to receive updates there", info.URL)
			case t.WebhookURL == "":
				return nil
			case info.URL == "":
				return Skip("no webhook is set yet: caredesk sets TELEGRAM_WEBHOOK_URL at start")
			case info.URL != t.WebhookURL:
				return fmt.Errorf("Telegram sends this bot's updates to %s, not to TELEGRAM_WEBHOOK_URL %s: another program or caredesk uses this token; stop it, and caredesk sets its own webhook at start", info.URL, t.WebhookURL)
			case info.LastErrorDate != 0 && info.PendingUpdateCount > 0:
				// Telegram keeps the last error after pushes work again:
				// only with updates waiting is it the webhook's state now.
				return fmt.Errorf("updates are waiting (%d), and the last push of them to %s failed at %s (%s): make sure that address reaches caredesk's /telegram/webhook over HTTPS and that caredesk is running",
					info.PendingUpdateCount, info.URL, time.Unix(int64(info.LastErrorDate), 0).UTC().Format(time.RFC3339), info.LastErrorMessage)
			}
			return nil
		}},
		{Name: "Telegram: the bot reads every message in groups (privacy mode off)", Run: func(context.Context) error {
			if api == nil {
				return Skip("TELEGRAM_BOT_TOKEN does not work")
			}
			if !api.Self.CanReadAllGroupMessages {
				// Not a failure: most customers write to the bot privately,
				// which privacy mode does not touch.
				return Skip("privacy mode is on, so in a group the bot gets only the messages that mention it, answer it or are commands (unless it is a group admin); " +
					"private chats are not affected. To take every message of the groups it is in, send /setprivacy to @BotFather, choose Disable, then remove the bot from each group and add it again")
			}
			return nil
		}},
	}
}

func telegramMode(t Telegram) string {
	if t.WebhookURL == "" {
		return "long polling"
	}
	return "TELEGRAM_WEBHOOK_URL"
}

// telegramError words a failed call. The library's errors may hold the
// URL, and so the token: only Telegram's own answer is quoted.
func telegramError(t Telegram, method string, err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		return unreachable("Telegram", t.APIURL, "TELEGRAM_API_URL", err)
	}
	if apiErr.Code == http.StatusUnauthorized || apiErr.Code == http.StatusNotFound {
		return fmt.Errorf("Telegram rejected TELEGRAM_BOT_TOKEN (%d %s): copy the token @BotFather gave you again (/token in @BotFather)", apiErr.Code, apiErr.Message)
	}
	return fmt.Errorf("Telegram refused %s (%d %s)", method, apiErr.Code, apiErr.Message)
}
