package validate

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	secretExampleFile = "secret.example.yaml"
	kustomizationFile = "kustomization.yaml"
)

// cluster is what deploy/kubernetes holds, each object decoded strictly.
type cluster struct {
	deployment    *appsv1.Deployment
	service       *corev1.Service
	pdb           *policyv1.PodDisruptionBudget
	secret        *corev1.Secret // the example
	configMap     *corev1.ConfigMap
	kustomization map[string]any
	files         []string          // every file's name
	fileOf        map[string]string // a kind's file, by its Go type
}

// decodeStrict decodes one YAML document into the typed object of its
// apiVersion and kind; a field the type does not have, or a key given
// twice, is an error, as kubectl apply --validate=strict makes it.
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch gvk := tm.APIVersion + " " + tm.Kind; gvk {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		m := map[string]any{}
		if err := yaml.UnmarshalStrict(doc, &m); err != nil {
			return nil, err
		}
		return m, nil
	default:
		return nil, fmt.Errorf("apiVersion %q kind %q is not one this test knows (Deployment apps/v1, Service v1, PodDisruptionBudget policy/v1, Secret v1, ConfigMap v1, Kustomization)", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// documents splits a YAML stream at its "---" lines, leaving out empty
// documents.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		if j, err := yaml.YAMLToJSON(d); err == nil && string(j) == "null" {
			continue
		}
		docs = append(docs, d)
	}
	return docs
}

// loadKubernetes decodes every file in deploy/kubernetes.
func loadKubernetes(t *testing.T) *cluster {
	t.Helper()
	entries, err := os.ReadDir(kubernetesDir)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{fileOf: map[string]string{}}
	for _, e := range entries {
		name := e.Name()
		c.files = append(c.files, name)
		if e.IsDir() || filepath.Ext(name) != ".yaml" {
			t.Errorf("%s/%s: only .yaml files belong here", kubernetesDir, name)
			continue
		}
		docs := documents(readFile(t, filepath.Join(kubernetesDir, name)))
		if len(docs) != 1 {
			t.Errorf("%s: %d documents, want one object a file", name, len(docs))
		}
		for _, doc := range docs {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			var dup bool
			switch o := obj.(type) {
			case *appsv1.Deployment:
				dup, c.deployment = c.deployment != nil, o
			case *corev1.Service:
				dup, c.service = c.service != nil, o
			case *policyv1.PodDisruptionBudget:
				dup, c.pdb = c.pdb != nil, o
			case *corev1.Secret:
				dup, c.secret = c.secret != nil, o
			case *corev1.ConfigMap:
				dup, c.configMap = c.configMap != nil, o
			case map[string]any:
				dup, c.kustomization = c.kustomization != nil, o
			}
			if dup {
				t.Errorf("%s: a second %T; this test expects one of each", name, obj)
			}
			c.fileOf[fmt.Sprintf("%T", obj)] = name
		}
	}
	for what, missing := range map[string]bool{
		"Deployment": c.deployment == nil, "Service": c.service == nil, "PodDisruptionBudget": c.pdb == nil,
		"Secret example": c.secret == nil, "ConfigMap": c.configMap == nil, "Kustomization": c.kustomization == nil,
	} {
		if missing {
			t.Errorf("no %s in %s", what, kubernetesDir)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return c
}

func TestKubernetesDecodeIsStrict(t *testing.T) {
	orig := string(readFile(t, filepath.Join(kubernetesDir, "deployment.yaml")))
	for _, tc := range []struct{ name, old, new string }{
		{"misspelt field", "replicas: 2", "replica: 2"},
		{"field at the wrong level", "terminationGracePeriodSeconds: 30", "terminationGracePeriod: 30"},
		{"key given twice", "replicas: 2", "replicas: 2\n  replicas: 3"},
		{"wrong type", "replicas: 2", "replicas: two"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(orig, tc.old) {
				t.Fatalf("deployment.yaml no longer contains %q: update this case", tc.old)
			}
			_, err := decodeStrict([]byte(strings.Replace(orig, tc.old, tc.new, 1)))
			if err == nil {
				t.Errorf("decoding accepted %q; is it strict?", tc.new)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestKubernetesNames(t *testing.T) {
	c := loadKubernetes(t)
	for _, m := range []metav1.ObjectMeta{c.deployment.ObjectMeta, c.service.ObjectMeta, c.pdb.ObjectMeta, c.secret.ObjectMeta, c.configMap.ObjectMeta} {
		for _, msg := range validation.IsDNS1123Label(m.Name) {
			t.Errorf("name %q: %s", m.Name, msg)
		}
		if m.Namespace != "" {
			t.Errorf("%s names namespace %q; leave that to kubectl -n or kustomize", m.Name, m.Namespace)
		}
		for k, v := range m.Labels {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("%s: label %s=%s: %s", m.Name, k, v, msg)
			}
		}
	}
}

// container is the Deployment's one container.
func (c *cluster) container(t *testing.T) corev1.Container {
	t.Helper()
	cs := c.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("the Deployment has %d containers, want caredesk alone", len(cs))
	}
	return cs[0]
}

// containerPort resolves a port given by number or by name.
func containerPort(t *testing.T, ctr corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range ctr.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	t.Errorf("port %q is not a port of the container", p.StrVal)
	return 0
}

func TestKubernetesDeployment(t *testing.T) {
	c := loadKubernetes(t)
	d := c.deployment
	pod := d.Spec.Template.Spec
	ctr := c.container(t)
	podLabels := labels.Set(d.Spec.Template.Labels)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %s, want 2", show(d.Spec.Replicas))
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("the Deployment's selector %v does not select its own pods %v (%v)", d.Spec.Selector, podLabels, err)
	}
	if s := d.Spec.Strategy; s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil {
		t.Errorf("strategy %+v, want RollingUpdate", s)
	} else {
		if u := s.RollingUpdate.MaxUnavailable; u == nil || u.String() != "0" {
			t.Errorf("maxUnavailable %v, want 0: an update never leaves fewer than two ready", u)
		}
		if u := s.RollingUpdate.MaxSurge; u == nil || u.String() != "1" {
			t.Errorf("maxSurge %v, want 1", u)
		}
	}

	// Shutdown: the preStop pause plus caredesk's ~15 s must fit the grace period.
	preStop := int64(0)
	if ctr.Lifecycle != nil && ctr.Lifecycle.PreStop != nil {
		if ctr.Lifecycle.PreStop.Sleep == nil {
			t.Error("preStop is not a sleep action: the image has no shell to run a command")
		} else {
			preStop = ctr.Lifecycle.PreStop.Sleep.Seconds
		}
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < preStop+15 {
		t.Errorf("terminationGracePeriodSeconds is %s, shorter than the preStop pause (%d s) and caredesk's shutdown (about 15 s)", show(g), preStop)
	}
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		t.Error("enableServiceLinks is not false: the Service caredesk would put CAREDESK_PORT, CAREDESK_SERVICE_HOST... into caredesk's settings")
	}
	for _, tsc := range pod.TopologySpreadConstraints {
		if s, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector); err != nil || !s.Matches(podLabels) {
			t.Errorf("the topology spread constraint's selector %v does not select caredesk's pods", tsc.LabelSelector)
		}
	}

	if ctr.Image == "" {
		t.Error("the container has no image")
	}
	if got := containerPortNamed(ctr, "http"); got != 8080 {
		t.Errorf("the container's http port is %d, want 8080 (CAREDESK_ADDR's default, the image's EXPOSE)", got)
	}

	t.Run("probes", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			probe    *corev1.Probe
			path     string
			optional bool
		}{
			{"readinessProbe", ctr.ReadinessProbe, "/readyz", false},
			{"livenessProbe", ctr.LivenessProbe, "/livez", false},
			{"startupProbe", ctr.StartupProbe, "/livez", true},
		} {
			if tc.probe == nil {
				if !tc.optional {
					t.Errorf("no %s", tc.name)
				}
				continue
			}
			g := tc.probe.HTTPGet
			if g == nil {
				t.Errorf("%s is not an HTTP GET (the image has no shell for exec probes)", tc.name)
				continue
			}
			if g.Path != tc.path {
				t.Errorf("%s asks %s, want %s", tc.name, g.Path, tc.path)
			}
			if p := containerPort(t, ctr, g.Port); p != 8080 {
				t.Errorf("%s asks port %d, want 8080", tc.name, p)
			}
		}
	})

	t.Run("settings", func(t *testing.T) {
		fromSecret := false
		for _, ef := range ctr.EnvFrom {
			if ef.SecretRef != nil && ef.SecretRef.Name == c.secret.Name {
				fromSecret = true
				if ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					t.Error("the Secret is optional: caredesk would start without its tokens")
				}
			}
		}
		if !fromSecret {
			t.Errorf("envFrom does not take the Secret %q", c.secret.Name)
		}
		var names []string
		env := map[string]corev1.EnvVar{}
		for _, e := range ctr.Env {
			names = append(names, e.Name)
			env[e.Name] = e
			if slices.Contains(caredeskSecrets, e.Name) || e.Name == "CAREDESK_DB" {
				t.Errorf("%s is set in the Deployment; it comes from the Secret", e.Name)
			}
			if looksSecret(e.Value) {
				t.Errorf("%s has a value that looks like a secret; put it in the Secret", e.Name)
			}
			for _, msg := range validation.IsEnvVarName(e.Name) {
				t.Errorf("env %q: %s", e.Name, msg)
			}
		}
		checkKnownVariables(t, "deployment.yaml", names)

		r, ok := env["CAREDESK_REPLICA"]
		if !ok || r.ValueFrom == nil || r.ValueFrom.FieldRef == nil || r.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("CAREDESK_REPLICA is %+v, want the pod's name (fieldRef metadata.name)", r)
		}

		// CAREDESK_CONFIG names a key of the ConfigMap, mounted.
		cfg, ok := env["CAREDESK_CONFIG"]
		if !ok {
			return // the file is optional
		}
		dir, key := path.Split(cfg.Value)
		var volume string
		for _, m := range ctr.VolumeMounts {
			if path.Clean(m.MountPath) == path.Clean(dir) && m.SubPath == "" {
				volume = m.Name
			}
		}
		var cm *corev1.ConfigMapVolumeSource
		for _, v := range pod.Volumes {
			if v.Name == volume {
				cm = v.ConfigMap
			}
		}
		switch {
		case cm == nil:
			t.Errorf("CAREDESK_CONFIG is %s, but no ConfigMap is mounted at %s", cfg.Value, dir)
		case cm.Name != c.configMap.Name:
			t.Errorf("the ConfigMap mounted for CAREDESK_CONFIG is %q, configmap.yaml's is %q", cm.Name, c.configMap.Name)
		default:
			if _, ok := c.configMap.Data[key]; !ok {
				t.Errorf("CAREDESK_CONFIG names %s, which is no key of the ConfigMap (%v)", key, sortedKeys(c.configMap.Data))
			}
		}
	})

	t.Run("security", func(t *testing.T) {
		sc := ctr.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		psc := pod.SecurityContext
		if psc == nil {
			psc = &corev1.PodSecurityContext{}
		}
		nonRoot := firstSet(sc.RunAsNonRoot, psc.RunAsNonRoot)
		user := firstSet(sc.RunAsUser, psc.RunAsUser)
		if nonRoot == nil || !*nonRoot {
			t.Error("runAsNonRoot is not true")
		}
		// The image's USER is "nonroot", a name: the kubelet refuses to
		// start a runAsNonRoot pod unless it has a number to check.
		if user == nil || *user == 0 {
			t.Errorf("runAsUser is %s: give distroless's nonroot user as a number (65532)", show(user))
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
	})

	t.Run("resources", func(t *testing.T) {
		req, lim := ctr.Resources.Requests, ctr.Resources.Limits
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			r, okr := req[name]
			l, okl := lim[name]
			if !okr || !okl {
				t.Errorf("%s: request and limit both wanted, have %v and %v", name, req, lim)
				continue
			}
			if r.Cmp(l) > 0 {
				t.Errorf("%s: request %s above limit %s", name, r.String(), l.String())
			}
		}
		// caredesk's RSS is about 35-45 MiB; reports and files add to it.
		mem := lim[corev1.ResourceMemory]
		if mem.Cmp(resource.MustParse("128Mi")) < 0 || mem.Cmp(resource.MustParse("1Gi")) > 0 {
			t.Errorf("memory limit %s: want between 128Mi and 1Gi for caredesk", mem.String())
		}
		for _, e := range ctr.Env {
			if e.Name != "GOMEMLIMIT" {
				continue
			}
			q, err := resource.ParseQuantity(strings.TrimSuffix(e.Value, "B"))
			if err != nil {
				t.Errorf("GOMEMLIMIT %q: %v", e.Value, err)
			} else if q.Cmp(mem) >= 0 {
				t.Errorf("GOMEMLIMIT %s is not below the memory limit %s", e.Value, mem.String())
			}
		}
	})
}

func containerPortNamed(ctr corev1.Container, name string) int32 {
	for _, p := range ctr.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// show prints a pointer's value, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func firstSet[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

func TestKubernetesServiceAndBudgetSelectCaredesk(t *testing.T) {
	c := loadKubernetes(t)
	podLabels := labels.Set(c.deployment.Spec.Template.Labels)
	ctr := c.container(t)

	svc := c.service.Spec
	if len(svc.Selector) == 0 || !labels.SelectorFromSet(svc.Selector).Matches(podLabels) {
		t.Errorf("the Service's selector %v does not select caredesk's pods %v", svc.Selector, podLabels)
	}
	if len(svc.Ports) == 0 {
		t.Error("the Service has no port")
	}
	for _, p := range svc.Ports {
		if got := containerPort(t, ctr, p.TargetPort); got != 8080 {
			t.Errorf("the Service's port %d goes to %d, want caredesk's 8080", p.Port, got)
		}
	}

	pdb := c.pdb.Spec
	sel, err := metav1.LabelSelectorAsSelector(pdb.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("the PodDisruptionBudget's selector %v does not select caredesk's pods %v (%v)", pdb.Selector, podLabels, err)
	}
	if pdb.MinAvailable == nil || pdb.MinAvailable.String() != "1" {
		t.Errorf("minAvailable %v, want 1", pdb.MinAvailable)
	}
	if pdb.MaxUnavailable != nil {
		t.Error("maxUnavailable is set beside minAvailable; the API refuses both")
	}
	if r := c.deployment.Spec.Replicas; r != nil && pdb.MinAvailable != nil {
		if v, err := intstr.GetScaledValueFromIntOrPercent(pdb.MinAvailable, int(*r), true); err != nil || v >= int(*r) {
			t.Errorf("minAvailable %s of %d replicas: no pod could ever be evicted, and node drains would hang", pdb.MinAvailable.String(), *r)
		}
	}
}

func TestKubernetesSecretExample(t *testing.T) {
	c := loadKubernetes(t)
	s := c.secret
	if f := c.fileOf[fmt.Sprintf("%T", s)]; f != secretExampleFile {
		t.Errorf("the Secret is in %s; only %s may hold one, as an example", f, secretExampleFile)
	}
	if s.Type != corev1.SecretTypeOpaque {
		t.Errorf("type %q, want Opaque", s.Type)
	}
	if len(s.Data) != 0 {
		t.Error("the example has data: (base64); use stringData: placeholders")
	}
	for _, k := range append(slices.Clone(caredeskSecrets), "CAREDESK_DB") {
		if _, ok := s.StringData[k]; !ok {
			t.Errorf("the Secret example has no %s, which the Deployment expects from it", k)
		}
	}
	for _, k := range sortedKeys(s.StringData) {
		v := s.StringData[k]
		if looksSecret(v) {
			t.Errorf("%s has a value that looks real; the example holds placeholders only", k)
		}
		if slices.Contains(caredeskSecrets, k) && v != "" {
			t.Errorf("%s is %q; leave secrets empty in the example", k, v)
		}
		for _, msg := range validation.IsConfigMapKey(k) {
			t.Errorf("key %q: %s", k, msg)
		}
	}
	checkDatabaseURL(t, secretExampleFile, s.StringData["CAREDESK_DB"])
	checkKnownVariables(t, secretExampleFile, sortedKeys(s.StringData))
}

func TestKubernetesConfigMapIsTheComposeFile(t *testing.T) {
	c := loadKubernetes(t)
	want := string(readFile(t, configYAML))
	for k, v := range c.configMap.Data {
		if v != want {
			t.Errorf("the ConfigMap's %s differs from deploy/caredesk.yaml, which docker compose mounts; keep the two the same", k)
		}
	}
}

func TestKustomization(t *testing.T) {
	c := loadKubernetes(t)
	k := c.kustomization
	for key := range k {
		switch key {
		case "apiVersion", "kind", "resources", "images", "namespace", "labels":
		default:
			t.Errorf("%s: %q is a key this test does not check; add it here once it is understood", kustomizationFile, key)
		}
	}
	raw, _ := k["resources"].([]any)
	var listed []string
	for _, r := range raw {
		s, ok := r.(string)
		if !ok {
			t.Errorf("resource %v is not a file name", r)
			continue
		}
		listed = append(listed, s)
		if _, err := os.Stat(filepath.Join(kubernetesDir, s)); err != nil {
			t.Errorf("%s lists %s: %v", kustomizationFile, s, err)
		}
		if s == secretExampleFile {
			t.Errorf("%s lists %s: the example Secret would overwrite the real one with placeholders", kustomizationFile, s)
		}
	}
	for _, f := range c.files {
		if f != kustomizationFile && f != secretExampleFile && !slices.Contains(listed, f) {
			t.Errorf("%s does not list %s: kubectl apply -k would leave it out", kustomizationFile, f)
		}
	}
}
