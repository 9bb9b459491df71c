package validation

import (
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
)

func job(patches map[string][]PatchSource) ValidationJob {
	return ValidationJob{
		Name:              "cloudkoffer-test",
		ClusterName:       "cloudkoffer",
		ClusterEndpoint:   "https://127.0.0.254:6443",
		TalosVersion:      "v1.7.4",
		KubernetesVersion: "1.30.1",
		Roles:             patches,
	}
}

func verdicts(t *testing.T, patches map[string][]PatchSource) map[string]ValidationResult {
	t.Helper()

	results, err := validateJob(job(patches), map[string]*secrets.Bundle{})
	if err != nil {
		t.Fatal(err)
	}

	byRole := map[string]ValidationResult{}
	for _, result := range results {
		byRole[result.Role] = result
	}

	return byRole
}

func TestAValidPatchIsValidForBothRoles(t *testing.T) {
	patch := PatchSource{Source: "all.yaml", YAML: "machine:\n  install:\n    disk: /dev/sda\n"}
	results := verdicts(t, map[string][]PatchSource{"controlplane": {patch}, "worker": {patch}})

	for _, role := range []string{"controlplane", "worker"} {
		if !results[role].Valid {
			t.Errorf("%s: %+v", role, results[role])
		}
	}
}

func TestTalosReadsAnUnquotedBooleanAsAString(t *testing.T) {
	// The seed's all.yaml: Talos' JSON schema says "must be string", Talos' loader accepts it.
	patch := PatchSource{Source: "all.yaml", YAML: "machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: true\n"}
	if result := verdicts(t, map[string][]PatchSource{"worker": {patch}})["worker"]; !result.Valid {
		t.Fatalf("Talos refused what its loader accepts: %+v", result)
	}
}

func TestARejectionNamesTheFirstPatchThatBreaksTheConfiguration(t *testing.T) {
	good := PatchSource{Source: "install patch", YAML: "machine:\n  install:\n    disk: /dev/sda\n"}
	broken := PatchSource{
		Source: "controlplane.yaml",
		YAML:   "machine:\n  network:\n    interfaces:\n      - deviceSelector:\n          physical: true\n        vip:\n          ip: 192.168.1.1011\n",
	}
	after := PatchSource{Source: "all.yaml", YAML: "machine:\n  install:\n    wipe: false\n"}

	result := verdicts(t, map[string][]PatchSource{"controlplane": {good, broken, after}})["controlplane"]
	if result.Valid || result.Source != "controlplane.yaml" {
		t.Fatalf("want a rejection after controlplane.yaml, got %+v", result)
	}

	if !strings.Contains(strings.Join(result.Errors, "\n"), `failed to parse "192.168.1.1011" as IP address`) {
		t.Fatalf("the errors do not say what is wrong: %v", result.Errors)
	}
}

func TestAnUnknownFieldIsRefusedByTalosLoader(t *testing.T) {
	patch := PatchSource{Source: "all.yaml", YAML: "machine:\n  instal:\n    disk: /dev/sda\n"}
	if result := verdicts(t, map[string][]PatchSource{"worker": {patch}})["worker"]; result.Valid || result.Source != "all.yaml" {
		t.Fatalf("want a rejection of all.yaml, got %+v", result)
	}
}

func TestValidateJudgesEveryJobAndRoleInOrder(t *testing.T) {
	good := PatchSource{Source: "all.yaml", YAML: "machine:\n  install:\n    disk: /dev/sda\n"}
	broken := PatchSource{Source: "all.yaml", YAML: "machine:\n  instal:\n    disk: /dev/sda\n"}

	first, second := job(map[string][]PatchSource{"worker": {good}, "controlplane": {good}}), job(map[string][]PatchSource{"worker": {broken}})
	second.Name = "cloudkoffer-other"

	results, err := Validate([]ValidationJob{first, second})
	if err != nil {
		t.Fatal(err)
	}

	var order []string
	for _, result := range results {
		order = append(order, result.Name+"/"+result.Role)
	}

	if strings.Join(order, " ") != "cloudkoffer-test/controlplane cloudkoffer-test/worker cloudkoffer-other/worker" {
		t.Fatalf("results for %v", order)
	}

	if !AllValid(results[:2]) || AllValid(results) {
		t.Fatalf("AllValid misjudges %+v", results)
	}

	if results, err := Validate(nil); err != nil || results == nil || len(results) != 0 {
		t.Fatalf("no jobs: %#v, %v; want an empty list (JSON [])", results, err)
	}

	if _, err := Validate([]ValidationJob{{Name: "broken", TalosVersion: "not a version"}}); err == nil || !strings.HasPrefix(err.Error(), "broken: talos version") {
		t.Fatalf("a job that cannot be judged: %v", err)
	}
}
