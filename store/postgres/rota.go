package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/bot"
)

// override is bot.Override as stored in rota_changes.overrides: the SQLite
// store's JSON, times in unix microseconds.
type override struct {
	Layer bot.Layer `json:"layer"`
	Agent string    `json:"agent"`
	From  int64     `json:"from"`
	Until int64     `json:"until"`
	Note  string    `json:"note,omitempty"`
}

// AddRotaChange stores c and sets c.ID.
func (tx *tx) AddRotaChange(c *bot.RotaChange) error {
	stored := make([]override, len(c.Overrides))
	for i, o := range c.Overrides {
		stored[i] = override{Layer: o.Layer, Agent: o.Agent, From: o.From.UnixMicro(), Until: o.Until.UnixMicro(), Note: o.Note}
	}
	js, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("add rota change: %w", err)
	}
	id, err := tx.insert("add rota change", `INSERT INTO rota_changes (kind, by_agent, at, summary, overrides, team)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.Kind, c.By, at(c.At), c.Summary, string(js), c.Team)
	if err != nil {
		return err
	}
	c.ID = id
	return nil
}

const selectRotaChanges = `SELECT id, kind, by_agent, at, summary, overrides, team FROM rota_changes `

func scanRotaChange(row pgx.Row) (bot.RotaChange, error) {
	var c bot.RotaChange
	var js []byte
	if err := row.Scan(&c.ID, &c.Kind, &c.By, scanAt(&c.At), &c.Summary, &js, &c.Team); err != nil {
		return c, err
	}
	var stored []override
	if err := json.Unmarshal(js, &stored); err != nil {
		return c, fmt.Errorf("rota change %d: %w", c.ID, err)
	}
	for _, o := range stored {
		c.Overrides = append(c.Overrides, bot.Override{ID: c.ID, Layer: o.Layer, Agent: o.Agent,
			From: time.UnixMicro(o.From).UTC(), Until: time.UnixMicro(o.Until).UTC(), Note: o.Note})
	}
	return c, nil
}

// RotaChanges returns the changes in force, oldest first.
func (tx *tx) RotaChanges() ([]bot.RotaChange, error) {
	return list(tx, "list rota changes", scanRotaChange, selectRotaChanges+`WHERE undone_at IS NULL ORDER BY id`)
}

// UndoRotaChange takes back the newest change in force whose team is one of
// teams, or of any team when none is given.
func (tx *tx) UndoRotaChange(when time.Time, teams ...string) (bot.RotaChange, error) {
	query, args := selectRotaChanges+`WHERE undone_at IS NULL`, []any{}
	if len(teams) > 0 {
		query, args = query+` AND team = ANY($1)`, append(args, teams)
	}
	c, err := one(tx, "undo rota change", bot.Errorf(bot.ENOTFOUND, "There is no change of the rota to undo."), scanRotaChange,
		query+` ORDER BY id DESC LIMIT 1`, args...)
	if err != nil {
		return bot.RotaChange{}, err
	}
	if _, err := tx.exec(fmt.Sprintf("undo rota change %d", c.ID), `UPDATE rota_changes SET undone_at = $1 WHERE id = $2`, at(when), c.ID); err != nil {
		return bot.RotaChange{}, err
	}
	return c, nil
}
