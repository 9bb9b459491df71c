package simulator

import (
	"testing"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

// goldenNode is the node status of contract/simulator-node.json.
func goldenNode() NodeStatus {
	return NodeStatus{
		Address:      "127.10.0.1",
		Mode:         ModeConfigured,
		Role:         "controlplane",
		ConfigDigest: "c48ed91a4ca9fa94de50750162e3d1071ab3b0f803502717bee0c19220b00204",
		InstallDisk:  "/dev/sda",
		InstallImage: "ghcr.io/siderolabs/installer:v1.7.4",
		TalosVersion: "v1.7.4",
		Applies:      1,
		Bootstraps:   1,
		Recoveries:   1,
		Resets:       2,
		Boots:        2,
		Upgrades:     1,
		Staged:       "v1.7.5",
		Faults: Faults{
			Down:          true,
			Delay:         2 * time.Second,
			Hang:          true,
			RejectCode:    "Unavailable",
			RejectMethod:  "ApplyConfiguration",
			LoseReply:     "Bootstrap",
			KubeletDown:   true,
			EtcdStopped:   true,
			EtcdDataLost:  true,
			NodeNotReady:  true,
			StaticPodDown: "kube-scheduler",
		},
		Holds: []Hold{{Method: "Bootstrap", At: HoldAfter, Held: 1}},
		Calls: []Call{{
			Method:            "ApplyConfiguration",
			Mode:              ModeMaintenance,
			Code:              "OK",
			At:                time.Date(2024, 6, 1, 12, 0, 0, 250_000_000, time.UTC),
			Ms:                42,
			ClientCertificate: "08127d509a0cba15b75e45f53a160819237b71673021eaacb1faf330619316a7",
		}},
	}
}

func TestTheNodeStatusIsAsTheContractSays(t *testing.T) {
	if err := contract.Matches("simulator-node.json", goldenNode()); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("simulator-node.json", &NodeStatus{}); err != nil {
		t.Error(err)
	}
}

func TestTheStatusIsAsTheContractSays(t *testing.T) {
	if err := contract.Matches("simulator-status.json", Status{Nodes: map[string]NodeStatus{"127.10.0.1": goldenNode()}}); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("simulator-status.json", &Status{}); err != nil {
		t.Error(err)
	}
}

func TestTheClockIsAsTheContractSays(t *testing.T) {
	if err := contract.Matches("simulator-clock.json", ClockStatus{Now: "2024-06-01T14:00:00.123456789Z", Offset: "2h0m0s"}); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("simulator-clock.json", &ClockStatus{}); err != nil {
		t.Error(err)
	}
}

func TestTheReadyLineIsAsTheContractSays(t *testing.T) {
	if err := contract.Matches("simulator-ready.json", Ready{Control: "http://127.0.0.1:41234", Nodes: []string{"127.10.0.1", "127.10.0.2"}}); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("simulator-ready.json", &Ready{}); err != nil {
		t.Error(err)
	}
}
