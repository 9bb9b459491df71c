package testregistry

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

func TestTheReadyLineIsAsTheContractSays(t *testing.T) {
	ready := Ready{
		CAFile: "/tmp/cloudkoffer-registry-1234/ca.pem",
		Packages: []Package{{
			Namespace: "siderolabs",
			Type:      "talos",
			Version:   "0.5.0",
			OS:        "linux",
			Arch:      "amd64",
			Filename:  "terraform-provider-talos_0.5.0_linux_amd64.zip",
			SHA256:    "c48ed91a4ca9fa94de50750162e3d1071ab3b0f803502717bee0c19220b00204",
		}},
		Providers: "https://127.0.0.1:41235/v1/providers/",
		URL:       "https://127.0.0.1:41235",
	}

	if err := contract.Matches("test-registry-ready.json", ready); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("test-registry-ready.json", &Ready{}); err != nil {
		t.Error(err)
	}
}

func TestARunningRegistrySaysWhereItIsAndWhatItServes(t *testing.T) {
	registry, _ := serve(t, Options{})
	caFile := filepath.Join(t.TempDir(), "ca.pem")

	server, err := Start(registry, "127.0.0.1:0", caFile, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	ready := server.Ready()
	if ready.CAFile != caFile || ready.Providers != ready.URL+"/v1/providers/" || !strings.HasPrefix(ready.URL, "https://127.0.0.1:") ||
		len(ready.Packages) != 1 || ready.Packages[0].Filename != "terraform-provider-talos_0.5.0_linux_amd64.zip" {
		t.Fatalf("ready: %+v", ready)
	}

	line, err := json.Marshal(ready)
	if err != nil {
		t.Fatal(err)
	}

	if err := contract.SameShape("test-registry-ready.json", line); err != nil {
		t.Error(err)
	}

	// As a map printed it before: the keys in their order.
	if !strings.HasPrefix(string(line), `{"ca_file":`) || !strings.Contains(string(line), `],"providers":"https://`) {
		t.Fatalf("the line: %s", line)
	}
}
