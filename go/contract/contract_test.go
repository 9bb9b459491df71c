package contract

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/probe"
)

func TestEveryGoldenFileIsJSONAndDescribedInTheReadme(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}

	names, err := Names()
	if err != nil {
		t.Fatal(err)
	}

	if len(names) == 0 {
		t.Fatal("no golden files")
	}

	for _, name := range names {
		data, err := Golden(name)
		if err != nil {
			t.Fatal(err)
		}

		if !json.Valid(data) {
			t.Errorf("%s is not JSON", name)
		}

		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not say what %s is", name)
		}
	}
}

func golden() probe.ProbeResult {
	return probe.ProbeResult{
		Node:    "192.168.1.101",
		Answers: true,
		Mode:    "configured",
		Version: "v1.7.4",
		Error:   "configured: it refuses a client without a valid certificate (rpc error: code = Unavailable desc = connection error)",
	}
}

func TestMatchesAcceptsTheSameDocumentWhateverItsLayout(t *testing.T) {
	if err := Matches("probe-result.json", golden()); err != nil {
		t.Fatal(err)
	}

	if err := RoundTrip("probe-result.json", &probe.ProbeResult{}); err != nil {
		t.Fatal(err)
	}
}

func TestMatchesNamesEachDifference(t *testing.T) {
	changed := golden()
	changed.Version = ""

	err := Matches("probe-result.json", changed)
	if err == nil || !strings.Contains(err.Error(), "$.version: in the golden file, missing here") {
		t.Fatalf("a field left out: %v", err)
	}

	type renamed struct {
		probe.ProbeResult

		Answers string `json:"answers"`
		Extra   int    `json:"extra"`
	}

	err = Matches("probe-result.json", renamed{ProbeResult: golden(), Answers: "yes", Extra: 1})
	if err == nil || !strings.Contains(err.Error(), "$.answers: a boolean in the golden file, a string here") ||
		!strings.Contains(err.Error(), "$.extra: not in the golden file") {
		t.Fatalf("a field of another type, and one more: %v", err)
	}

	changed = golden()
	changed.Node = "192.168.1.102"

	if err := Matches("probe-result.json", changed); err == nil || !strings.Contains(err.Error(), "$.node: 192.168.1.101 in the golden file, 192.168.1.102 here") {
		t.Fatalf("another value: %v", err)
	}
}

func TestRoundTripRefusesAFieldTheTypeDoesNotKnow(t *testing.T) {
	var fewer struct {
		Node    string `json:"node"`
		Answers bool   `json:"answers"`
	}

	if err := RoundTrip("probe-result.json", &fewer); err == nil || !strings.Contains(err.Error(), `unknown field "mode"`) {
		t.Fatalf("a type without mode: %v", err)
	}
}

func TestSameShapeComparesKeysAndTypesNotValues(t *testing.T) {
	if err := SameShape("validation-job.json", []byte(`[
		{"name": "a", "clusterName": "b", "clusterEndpoint": "c", "talosVersion": "d", "kubernetesVersion": "e",
		 "roles": {"controlplane": [], "worker": [{"source": "f", "yaml": "g"}, {"source": "h", "yaml": "i"}]}},
		{"name": "j", "clusterName": "k", "clusterEndpoint": "l", "talosVersion": "m", "kubernetesVersion": "n",
		 "roles": {"controlplane": [], "worker": []}}
	]`)); err != nil {
		t.Fatal(err)
	}

	err := SameShape("validation-job.json", []byte(`[{"name": 1, "clusterName": "b", "clusterEndpoint": "c", "talosVersion": "d",
		"roles": {"controlplane": [], "worker": [{"source": "f"}]}}]`))
	for _, want := range []string{
		"$[0].name: a string in the golden file, a number here",
		"$[0].kubernetesVersion: in the golden file, missing here",
		"$[0].roles.worker[0].yaml: in the golden file, missing here",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
