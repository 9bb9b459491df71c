package probe

import (
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

func TestTheProbeResultIsAsTheContractSays(t *testing.T) {
	result := ProbeResult{
		Node:    "192.168.1.101",
		Answers: true,
		Mode:    modeConfigured,
		Version: "v1.7.4",
		Error:   "configured: it refuses a client without a valid certificate (rpc error: code = Unavailable desc = connection error)",
	}

	if err := contract.Matches("probe-result.json", result); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("probe-result.json", &ProbeResult{}); err != nil {
		t.Error(err)
	}
}

func TestTheBootstrapResultIsAsTheContractSays(t *testing.T) {
	result := BootstrapResult{
		Node:         "192.168.1.101",
		Bootstrapped: true,
		Etcd:         "Running",
		Error:        "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
	}

	if err := contract.Matches("bootstrapped.json", result); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("bootstrapped.json", &BootstrapResult{}); err != nil {
		t.Error(err)
	}
}
