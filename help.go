package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"caredesk/config"
)

// commands is what each subcommand does, for `caredesk help` and for a
// command caredesk does not know.
const commands = `caredesk: social customer care in your team's chat.

Usage:
  caredesk              run the bot; settings come from the environment (caredesk help lists them)
  caredesk serve        the same
  caredesk demo         run the real bot against built-in local Telegram and Slack, no tokens needed
  caredesk migrate --to postgres://…
                        move the desk from its SQLite file (CAREDESK_DB) into PostgreSQL (--help says more)
  caredesk version      print the version, commit and Go of this build (also: --version)
  caredesk healthcheck  exit 0 when the caredesk serving on CAREDESK_ADDR answers /readyz with 200, else 1
  caredesk doctor       check the settings, the database and each network before relying on them:
                        a checklist, one line a check (ok, FAIL with what to fix, skip); exit 1 on a FAIL
  caredesk help         show this help and every setting (also: -h, --help)
`

// help writes `caredesk help`: the commands, then every setting from
// config.Settings, so the image's users, who have no README, find them all.
func help(w io.Writer) {
	fmt.Fprint(w, commands)
	fmt.Fprint(w, `
Settings, read from the environment (README.md says more about each).
Durations are written like 90s, 30m, 1h30m or 7d. A secret, marked *, may
instead be given as NAME_FILE=/path/to/a/file holding it (the file's
content, less one trailing newline); setting both NAME and NAME_FILE is an
error. So may the webhook sources' secrets, in the variables the
CAREDESK_CONFIG file names with secret_env. On PostgreSQL, the driver also
reads libpq's PG… variables (PGHOST, PGSSLMODE, …) for what the URL of
CAREDESK_DB leaves out.

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tDEFAULT\tWHAT IT IS")
	for _, s := range config.Settings {
		name, def := s.Name, s.Default
		if s.Secret {
			name += " *"
		}
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, def, s.Summary)
	}
	tw.Flush()
}
