package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"caredesk/bot"
)

// override is bot.Override as stored in rota_changes.overrides.
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
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO rota_changes (kind, by_agent, at, summary, overrides, team) VALUES (?, ?, ?, ?, ?, ?)`,
		c.Kind, c.By, at(c.At), c.Summary, string(js), c.Team)
	if err != nil {
		return fmt.Errorf("add rota change: %w", err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add rota change: %w", err)
	}
	return nil
}

const rotaChangeColumns = `id, kind, by_agent, at, summary, overrides, team`

func scanRotaChange(row scanner) (bot.RotaChange, error) {
	var c bot.RotaChange
	var js string
	if err := row.Scan(&c.ID, &c.Kind, &c.By, scanAt(&c.At), &c.Summary, &js, &c.Team); err != nil {
		return c, err
	}
	var stored []override
	if err := json.Unmarshal([]byte(js), &stored); err != nil {
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
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+rotaChangeColumns+` FROM rota_changes WHERE undone_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list rota changes: %w", err)
	}
	defer rows.Close()
	var out []bot.RotaChange
	for rows.Next() {
		c, err := scanRotaChange(rows)
		if err != nil {
			return nil, fmt.Errorf("list rota changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rota changes: %w", err)
	}
	return out, nil
}

// UndoRotaChange takes back the newest change in force whose team is one of
// teams, or of any team when none is given.
func (tx *tx) UndoRotaChange(when time.Time, teams ...string) (bot.RotaChange, error) {
	query, args := `SELECT `+rotaChangeColumns+` FROM rota_changes WHERE undone_at IS NULL`, []any{}
	if len(teams) > 0 {
		query += ` AND team IN (` + placeholders(len(teams)) + `)`
		for _, team := range teams {
			args = append(args, team)
		}
	}
	c, err := scanRotaChange(tx.tx.QueryRowContext(tx.ctx, query+` ORDER BY id DESC LIMIT 1`, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.RotaChange{}, bot.Errorf(bot.ENOTFOUND, "There is no change of the rota to undo.")
	}
	if err != nil {
		return bot.RotaChange{}, fmt.Errorf("undo rota change: %w", err)
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE rota_changes SET undone_at = ? WHERE id = ?`, at(when), c.ID); err != nil {
		return bot.RotaChange{}, fmt.Errorf("undo rota change %d: %w", c.ID, err)
	}
	return c, nil
}
