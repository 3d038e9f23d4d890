// Package schema reads a store's migrations: numbered files,
// 0001_init.sql, 0002_….sql, applied in order. A file once released never
// changes: a change to the schema is a new file. Each store keeps its own
// files and records what it applied its own way; the numbering rules are
// one.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one numbered file.
type Migration struct {
	Version int    // its number, 1 for the first
	Name    string // the file's name, for messages
	SQL     string
}

// Read returns the migrations in dir of fsys, in order. The files must be
// numbered 0001, 0002, … with no gap: a missing or doubled number is a
// mistake in the release, refused before anything is applied.
func Read(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for i, e := range entries { // ReadDir sorts by name
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", e.Name(), i+1)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	return ms, nil
}
