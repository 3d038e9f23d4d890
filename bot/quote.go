package bot

import "caredesk/outside"

// Quote marks text that came from outside the team (a customer's name or
// words, a bridge's reason, a network's error) where a sentence of
// caredesk's embeds it. The desks render it as the characters it is, so
// "<!here>" in a customer's name is printed, not obeyed, while the
// sentence's own mentions and pings stay live. Every such string goes
// through here.
func Quote(text string) string { return outside.Quote(text) }
