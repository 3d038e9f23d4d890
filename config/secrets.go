package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Lookup reads the setting name through getenv. A secret setting (Secret
// in Settings) may instead be given as NAME_FILE, the path of a file that
// holds it, as Docker and Kubernetes mount secrets: see Secret. Every
// setting caredesk reads goes through here, so no secret can miss it.
func Lookup(getenv func(string) string, name string) (string, error) {
	if s, ok := setting(name); ok && s.Secret {
		return Secret(getenv, name)
	}
	return getenv(name), nil
}

// Secret reads the secret name from the environment, or from the file
// NAME_FILE names: its content, less one trailing newline, is the value.
// Both set is an error, so that nobody wonders which of the two wins, and
// so is a file that cannot be read; either error is a sentence without its
// full stop, naming what to change.
func Secret(getenv func(string) string, name string) (string, error) {
	value, path := getenv(name), strings.TrimSpace(getenv(name+"_FILE"))
	if path == "" {
		return value, nil
	}
	if strings.TrimSpace(value) != "" {
		// The variable's value goes on with the error, so the checks
		// after it do not also say the setting is missing.
		return value, fmt.Errorf("%s and %s_FILE are both set, and caredesk takes the value from one place only: remove %s or %s_FILE", name, name, name, name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		why := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			why = pe.Err.Error()
		}
		return "", fmt.Errorf("%s_FILE is %q, which caredesk cannot read (%s): put the path of the file that holds %s there, readable by the user caredesk runs as (uid %d)", name, path, why, name, os.Getuid())
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}
