// Package group shares commits between a store's Updates. A commit must
// reach the disk before caredesk tells a network it stored what it sent,
// and that costs a flush: Updates asked for at the same time share one.
// A Writer takes every Update waiting when it is free (up to Max), hands
// them to the store's commit function, which runs each fn in a savepoint
// of its own and commits once, and only then answers each caller.
package group

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"caredesk/bot"
)

// Max is the most Updates one commit takes.
const Max = 64

// Update is one Update waiting for the writer.
type Update struct {
	Ctx  context.Context
	Fn   func(bot.Tx) error
	done chan Outcome
}

// Outcome is what an Update returns: fn's error or the commit's, or the
// panic fn raised, or its runtime.Goexit, raised again in the caller.
type Outcome struct {
	Err    error
	Panic  any
	Goexit bool
}

// Failed reports whether the Update's changes are to be undone.
func (o Outcome) Failed() bool { return o.Err != nil || o.Panic != nil || o.Goexit }

// ErrClosed is the answer to an Update that came after Close.
var ErrClosed = errors.New("the database is closed")

// Commit runs a group in one transaction and returns each Update's
// outcome, in order, once the transaction is committed or rolled back. ctx
// ends when the Writer is closed.
type Commit func(ctx context.Context, group []*Update) []Outcome

// Writer serves Updates, a group at a time, until Close.
type Writer struct {
	commit  Commit
	updates chan *Update
	closing chan struct{}
	written chan struct{}
	once    sync.Once
}

// Start starts a Writer that commits with commit.
func Start(commit Commit) *Writer {
	w := &Writer{commit: commit, updates: make(chan *Update), closing: make(chan struct{}), written: make(chan struct{})}
	go w.writes()
	return w
}

// Do runs fn in the next group and returns when its commit is done: fn's
// error or the commit's. A panic of fn, or its runtime.Goexit, goes on in
// the caller. A ctx that ends before fn starts is its error; one that ends
// while fn runs does not stop it.
func (w *Writer) Do(ctx context.Context, fn func(bot.Tx) error) error {
	u := &Update{Ctx: ctx, Fn: fn, done: make(chan Outcome, 1)}
	select {
	case w.updates <- u:
	case <-w.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	o := <-u.done
	switch {
	case o.Panic != nil:
		panic(o.Panic)
	case o.Goexit:
		runtime.Goexit()
	}
	return o.Err
}

// Close stops taking Updates and waits for the group under way.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.closing) })
	<-w.written
}

func (w *Writer) writes() {
	defer close(w.written)
	// The commits' calls to the database end when the Writer closes: one
	// waiting for a lock another process holds must not hold shutdown.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-w.closing
		cancel()
	}()
	for {
		var first *Update
		select {
		case first = <-w.updates:
		case <-w.closing:
			return
		}
		updates := []*Update{first}
	more:
		for len(updates) < Max {
			select {
			case u := <-w.updates:
				updates = append(updates, u)
			default:
				break more
			}
		}
		out := w.commit(ctx, updates)
		for i, u := range updates {
			u.done <- out[i]
		}
	}
}

// Call runs u's fn on tx, on a goroutine of its own, catching its panic
// and its runtime.Goexit, which no recover stops: on the writer's
// goroutine it would end the writer and leave the group answered as
// stored.
func Call(u *Update, tx bot.Tx) Outcome {
	done := make(chan Outcome, 1)
	go func() {
		o := Outcome{Goexit: true}
		defer func() {
			if p := recover(); p != nil {
				o.Panic, o.Goexit = p, false
			}
			done <- o
		}()
		o.Err = u.Fn(tx)
		o.Goexit = false
	}()
	return <-done
}

// Fail gives every Update of out that has not failed the error err: the
// transaction they shared is lost.
func Fail(out []Outcome, err error) {
	for i := range out {
		if !out[i].Failed() {
			out[i].Err = err
		}
	}
}
