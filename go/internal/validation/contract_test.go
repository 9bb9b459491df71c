package validation

import (
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

func TestTheJobsAreAsTheContractSays(t *testing.T) {
	jobs := []ValidationJob{{
		Name:              "cloudkoffer-v3",
		ClusterName:       "cloudkoffer",
		ClusterEndpoint:   "https://192.168.1.100:6443",
		TalosVersion:      "v1.7.4",
		KubernetesVersion: "1.30.1",
		Roles: map[string][]PatchSource{
			"controlplane": {{
				Source: "patches/controlplane.yaml",
				YAML:   "machine:\n  network:\n    interfaces:\n      - deviceSelector:\n          physical: true\n        vip:\n          ip: 192.168.1.100\n",
			}},
			"worker": {{Source: "patches/all.yaml", YAML: "machine:\n  install:\n    disk: /dev/sda\n"}},
		},
	}}

	if err := contract.Matches("validation-job.json", jobs); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("validation-job.json", &[]ValidationJob{}); err != nil {
		t.Error(err)
	}
}

func TestTheResultsAreAsTheContractSays(t *testing.T) {
	results := []ValidationResult{{
		Name:     "cloudkoffer-v3",
		Role:     "controlplane",
		Valid:    false,
		Source:   "patches/controlplane.yaml",
		Errors:   []string{`[networking.os.device.vip] failed to parse "192.168.1.1011" as IP address`},
		Warnings: []string{`use "worker" instead of "" for machine type`},
	}}

	if err := contract.Matches("validation-result.json", results); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("validation-result.json", &[]ValidationResult{}); err != nil {
		t.Error(err)
	}
}
