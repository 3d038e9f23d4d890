// Package bot is caredesk's core: the domain of a social customer-care desk
// (tickets, messages, agents' actions, deliveries) and the rules of a
// ticket's life.
//
// It declares the small interfaces it needs (Store, Desk, Source, Clock) and
// imports no network SDK and no database driver: adapters and stores import
// this package, never the reverse. main.go wires them together.
package bot
