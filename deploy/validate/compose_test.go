package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads a compose file as docker compose does, schema
// validation included (the compose-spec JSON schema, embedded in
// compose-go: no network). The services' env files are not read:
// caredesk.env is the operator's and may hold real secrets;
// withExampleEnv reads the example in its place.
func loadCompose(ctx context.Context, filename string, content []byte) (*types.Project, error) {
	return loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  filepath.Dir(filename),
		ConfigFiles: []types.ConfigFile{{Filename: filename, Content: content}},
		Environment: types.Mapping{}, // nothing from this machine's environment
	}, func(o *loader.Options) {
		o.SkipValidation = false // the point: the schema, and the model's consistency
		o.SkipConsistencyCheck = false
		o.SkipResolveEnvironment = true
	})
}

// composeProject loads docker-compose.yml; it must pass.
func composeProject(t *testing.T) *types.Project {
	t.Helper()
	path := absPath(t, composeFile)
	p, err := loadCompose(t.Context(), path, readFile(t, path))
	if err != nil {
		t.Fatalf("docker compose would refuse %s: %v", composeFile, err)
	}
	return p
}

// withExampleEnv resolves every service's environment as compose does at
// "up", with deploy/caredesk.env.example read in place of caredesk.env.
// Every env file must be caredesk.env at the root, and required: a
// missing caredesk.env stops compose instead of starting caredesk without
// its secrets.
func withExampleEnv(t *testing.T, p *types.Project) *types.Project {
	t.Helper()
	dummy := filepath.Join(t.TempDir(), "caredesk.env")
	if err := os.WriteFile(dummy, readFile(t, envExample), 0o600); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(absPath(t, repoRoot), "caredesk.env")
	for name, s := range p.Services {
		for i, f := range s.EnvFiles {
			if f.Path != want {
				t.Errorf("service %s reads the env file %s; the one env file is caredesk.env at the repository's root", name, f.Path)
			}
			if !f.Required {
				t.Errorf("service %s: caredesk.env is not required; without it compose would start with no secrets", name)
			}
			s.EnvFiles[i].Path = dummy
		}
		p.Services[name] = s
	}
	resolved, err := p.WithServicesEnvironmentResolved(false)
	if err != nil {
		t.Fatalf("compose cannot read the env example as caredesk.env: %v", err)
	}
	return resolved
}

// caredeskServices are the services built from the root Dockerfile.
func caredeskServices(t *testing.T, p *types.Project) []types.ServiceConfig {
	t.Helper()
	root := absPath(t, repoRoot)
	var out []types.ServiceConfig
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if s.Build != nil && s.Build.Context == root && s.Build.Dockerfile == "Dockerfile" {
			out = append(out, s)
		}
	}
	return out
}

func TestComposeTwoReplicasOnPostgres(t *testing.T) {
	literal := composeProject(t)
	p := withExampleEnv(t, literal)

	replicas := caredeskServices(t, p)
	var names []string
	for _, s := range replicas {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"caredesk-1", "caredesk-2"}) {
		t.Fatalf("the services built from the root Dockerfile are %v, want caredesk-1 and caredesk-2", names)
	}
	pg, ok := p.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}

	published := map[string]string{}
	for _, s := range replicas {
		t.Run(s.Name, func(t *testing.T) {
			if s.Restart != types.RestartPolicyUnlessStopped {
				t.Errorf("restart is %q, want unless-stopped (the image's own healthcheck, caredesk healthcheck, reports; the restart policy is what brings caredesk back)", s.Restart)
			}
			if d, ok := s.DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy || !d.Required {
				t.Errorf("depends_on postgres is %+v, want condition service_healthy, required", d)
			}
			if s.HealthCheck != nil && !s.HealthCheck.Disable {
				t.Errorf("healthcheck %v: leave it to the image's own (caredesk healthcheck); a command here would need a shell or curl, which the distroless image has not", s.HealthCheck.Test)
			}
			if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < 20*time.Second {
				t.Errorf("stop_grace_period is %v; caredesk takes up to about 15 s to finish deliveries after SIGTERM, give it 20 s or more", s.StopGracePeriod)
			}

			// The database: the postgres service, as its user and database.
			db := s.Environment["CAREDESK_DB"]
			if db == nil {
				t.Fatal("CAREDESK_DB is not set")
			}
			if u := checkDatabaseURL(t, s.Name, *db); u != nil {
				if u.Hostname() != "postgres" {
					t.Errorf("CAREDESK_DB points to host %q, want the postgres service", u.Hostname())
				}
				if pu := pg.Environment["POSTGRES_USER"]; pu == nil || *pu != u.User.Username() {
					t.Errorf("CAREDESK_DB's user %q is not postgres's POSTGRES_USER", u.User.Username())
				}
				if pd := pg.Environment["POSTGRES_DB"]; pd == nil || *pd != strings.Trim(u.Path, "/") {
					t.Errorf("CAREDESK_DB's database %q is not postgres's POSTGRES_DB", u.Path)
				}
			}
			if _, ok := s.Environment["CAREDESK_REPLICA"]; ok {
				t.Error("CAREDESK_REPLICA is set: both containers would take the same name; leave it unset so each names itself")
			}

			// Secrets: from caredesk.env only, none written in the file.
			for _, k := range append(slices.Clone(caredeskSecrets), "POSTGRES_PASSWORD") {
				if _, ok := literal.Services[s.Name].Environment[k]; ok {
					t.Errorf("%s is written in docker-compose.yml; it belongs in caredesk.env", k)
				}
			}
			for _, k := range caredeskSecrets {
				if _, ok := s.Environment[k]; !ok {
					t.Errorf("%s does not reach the container from caredesk.env", k)
				}
			}
			literalEnv := literal.Services[s.Name].Environment
			for _, k := range sortedKeys(literalEnv) {
				if v := literalEnv[k]; v != nil && looksSecret(*v) {
					t.Errorf("%s has a value that looks like a secret; move it to caredesk.env", k)
				}
			}
			checkKnownVariables(t, "docker-compose.yml "+s.Name, sortedKeys(literalEnv))

			// CAREDESK_CONFIG is a file bind-mounted from the repository.
			if cfg := s.Environment["CAREDESK_CONFIG"]; cfg != nil {
				found := false
				for _, v := range s.Volumes {
					if v.Type == types.VolumeTypeBind && v.Target == *cfg {
						found = true
						if v.Source != absPath(t, configYAML) {
							t.Errorf("CAREDESK_CONFIG's mount comes from %s, want deploy/caredesk.yaml", v.Source)
						}
						if !v.ReadOnly {
							t.Error("CAREDESK_CONFIG's mount is writable; make it read_only")
						}
					}
				}
				if !found {
					t.Errorf("CAREDESK_CONFIG is %s, which no bind mount provides", *cfg)
				}
			}

			// One host port each, to caredesk's 8080.
			if len(s.Ports) != 1 {
				t.Fatalf("%d ports, want one (host port -> 8080)", len(s.Ports))
			}
			port := s.Ports[0]
			if port.Target != 8080 || port.Published == "" {
				t.Errorf("port %+v, want a published host port to 8080", port)
			}
			if other, dup := published[port.HostIP+":"+port.Published]; dup {
				t.Errorf("host port %s is %s's too", port.Published, other)
			}
			published[port.HostIP+":"+port.Published] = s.Name
		})
	}

	t.Run("postgres", func(t *testing.T) {
		if pg.Image != "postgres:17" {
			t.Errorf("postgres runs %q, want the official postgres:17", pg.Image)
		}
		if pg.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("restart is %q, want unless-stopped", pg.Restart)
		}
		if pg.HealthCheck == nil || !slices.Contains(pg.HealthCheck.Test, "pg_isready") {
			t.Errorf("healthcheck %+v, want pg_isready (caredesk waits for service_healthy)", pg.HealthCheck)
		}
		if len(pg.Ports) != 0 {
			t.Errorf("postgres publishes %v on the host; only the replicas need it", pg.Ports)
		}
		named := false
		for _, v := range pg.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("volume %q is not declared under volumes:", v.Source)
				}
				named = true
			}
		}
		if !named {
			t.Error("postgres keeps its data in no named volume at /var/lib/postgresql/data")
		}
		if _, ok := pg.Environment["POSTGRES_PASSWORD"]; !ok {
			t.Error("POSTGRES_PASSWORD does not reach postgres from caredesk.env")
		}
		if _, ok := literal.Services["postgres"].Environment["POSTGRES_PASSWORD"]; ok {
			t.Error("POSTGRES_PASSWORD is written in docker-compose.yml; it belongs in caredesk.env")
		}
	})
}

// TestComposeSchemaIsChecked makes sure loadCompose validates: each of
// these mistakes in the real file must be refused, as docker compose
// refuses it.
func TestComposeSchemaIsChecked(t *testing.T) {
	path := absPath(t, composeFile)
	orig := string(readFile(t, path))
	for _, tc := range []struct {
		name, old, new string
	}{
		{"unknown service key", "restart: unless-stopped", "restart_policy: unless-stopped"},
		{"unknown depends_on condition", "condition: service_healthy", "condition: service_healty"},
		{"env_file entry with an unknown key", "required: true", "requried: true"},
		{"port that is not a port", `"127.0.0.1:8081:8080"`, `"127.0.0.1:8081:http"`},
		{"undeclared named volume", "postgres-data:/var/lib", "pgdata:/var/lib"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(orig, tc.old) {
				t.Fatalf("docker-compose.yml no longer contains %q: update this case", tc.old)
			}
			broken := strings.Replace(orig, tc.old, tc.new, 1)
			_, err := loadCompose(t.Context(), path, []byte(broken))
			if err == nil {
				t.Errorf("loading accepted the file with %q instead of %q; is validation off?", tc.new, tc.old)
			}
			t.Logf("refused: %v", err)
		})
	}
}
