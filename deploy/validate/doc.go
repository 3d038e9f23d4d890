// Package validate holds no code, only tests: they check caredesk's
// deployment files (docker-compose.yml, deploy/kubernetes, the env and
// Secret examples) the way docker compose and the Kubernetes API would read
// them, without a Docker engine, a cluster or the network.
//
// It is a module of its own so that caredesk's go.mod carries none of the
// Compose and Kubernetes libraries. Run it from here: go test ./...
package validate
