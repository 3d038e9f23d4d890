package config_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"caredesk/config"
)

// readers are the functions through which caredesk reads a variable: a
// string literal handed to one of them names a setting.
var readers = []string{"Getenv", "LookupEnv", "getenv", "get", "str", "duration", "boolean", "url", "addr",
	"optionalMatch", "oneOf", "level", "Lookup", "Secret"}

// settingName is what an environment variable of caredesk's looks like;
// any string of that form in the code is taken for one.
var settingName = regexp.MustCompile(`^(CAREDESK|TELEGRAM|SLACK|DISCORD|PG)[A-Z0-9]*(_[A-Z0-9]+)*$`)

// onlyForTests are variables the code reads only when run by tests.
var onlyForTests = []string{"CAREDESK_TEST_POSTGRES"}

// TestEveryVariableIsASetting reads every Go file of caredesk (tests
// aside) for the variables it reads, so that none is missing from
// config.Settings, which `caredesk help` prints.
func TestEveryVariableIsASetting(t *testing.T) {
	known := map[string]bool{}
	for _, s := range config.Settings {
		if known[s.Name] {
			t.Errorf("%s is twice in config.Settings", s.Name)
		}
		known[s.Name] = true
	}
	read := map[string]string{} // variable → where
	fset := token.NewFileSet()
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root {
				return filepath.SkipDir // another module, or not code
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join(root, "config", "settings.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if name := calleeName(n.Fun); len(n.Args) > 0 && slices.Contains(readers, name) {
					if v, ok := stringLit(n.Args[0]); ok && regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(v) {
						read[v] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.BasicLit:
				if v, ok := stringLit(n); ok && settingName.MatchString(v) {
					read[v] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(read) < 20 {
		t.Fatalf("found only %d variables read in the code, %v: the search is broken", len(read), read)
	}
	for name, where := range read {
		secretFile, ok := strings.CutSuffix(name, "_FILE")
		if ok && slices.ContainsFunc(config.Settings, func(s config.Setting) bool { return s.Name == secretFile && s.Secret }) {
			continue // a secret's file, as config.Lookup reads it
		}
		if !known[name] && !slices.Contains(onlyForTests, name) {
			t.Errorf("%s (read at %s) is not in config.Settings: add it there, and to README.md's settings table", name, where)
		}
	}
	for name := range known {
		if _, ok := read[name]; !ok {
			t.Errorf("%s is in config.Settings, but no code reads it", name)
		}
	}
}

func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

// TestSettingsInReadme checks README.md's settings table against
// config.Settings: the same variables, the same defaults, and one table
// (a blank line would end it, and the rows after it would not render as
// a table).
func TestSettingsInReadme(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### 3. Settings\n")
	if !ok {
		t.Fatal(`README.md has no "### 3. Settings"`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	lines := strings.Split(section, "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "| Variable |") })
	if first < 0 {
		t.Fatal("the settings section has no table")
	}
	rows := map[string]string{} // variable → its row
	end := first
	for end < len(lines) && strings.HasPrefix(lines[end], "|") {
		for _, name := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(strings.Split(lines[end], "|")[1], -1) {
			rows[name[1]] = lines[end]
		}
		end++
	}
	for _, l := range lines[end:] {
		if strings.HasPrefix(l, "|") {
			t.Errorf("a row after the settings table's end (a blank line or text splits it): %s", l)
		}
	}
	for _, s := range config.Settings {
		row, ok := rows[s.Name]
		switch {
		case !ok:
			t.Errorf("%s is not in README.md's settings table", s.Name)
		case s.Default != "" && !strings.Contains(strings.Split(row, "|")[2], "`"+s.Default+"`"):
			t.Errorf("README.md's row of %s does not give its default, `%s`: %s", s.Name, s.Default, row)
		}
		delete(rows, s.Name)
	}
	for name := range rows {
		t.Errorf("README.md's settings table has %s, which is not in config.Settings", name)
	}
}

// TestDefaultsAreDefaults sets each setting to the default config.Settings
// (and so `caredesk help`) gives it: caredesk must run as it did unset.
func TestDefaultsAreDefaults(t *testing.T) {
	unset, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings {
		if s.Default == "" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			set, err := load(t, map[string]string{s.Name: s.Default})
			if err != nil {
				t.Fatalf("%s=%s refused: %v", s.Name, s.Default, err)
			}
			if !reflect.DeepEqual(set, unset) {
				t.Errorf("%s=%s is not what caredesk does when it is unset:\n%+v\nwant\n%+v", s.Name, s.Default, set, unset)
			}
		})
	}
}
