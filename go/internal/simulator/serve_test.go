package simulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestStartServesTheNodesAndTheControlAPIUntilClose(t *testing.T) {
	server, err := Start(Options{Nodes: []string{"127.0.0.1"}, Control: "127.0.0.1:0", Settings: Settings{TalosVersion: "v1.7.4"}})
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(server.Control, "http://127.0.0.1:") || strings.Join(server.Nodes, ",") != "127.0.0.1" {
		t.Fatalf("ready: %+v", server.Ready)
	}

	response, err := http.Get(server.Control + "/status")
	if err != nil {
		t.Fatal(err)
	}

	var status Status

	err = json.NewDecoder(response.Body).Decode(&status)
	response.Body.Close()

	if err != nil || status.Nodes["127.0.0.1"].Mode != ModeMaintenance || status.Nodes["127.0.0.1"].TalosVersion != "v1.7.4" {
		t.Fatalf("status: %+v, %v", status, err)
	}

	server.Close()

	if _, err := http.Get(server.Control + "/status"); err == nil {
		t.Fatal("the control API still answers after Close")
	}
}

func TestStartRefusesAnythingButLoopbackAndANodeListedTwice(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Nodes: []string{"192.168.1.1"}, Control: "127.0.0.1:0"}, `"192.168.1.1" is not a loopback address: the simulator serves on 127.0.0.0/8 only`},
		{Options{Nodes: []string{"127.0.0.1"}, Control: "0.0.0.0:0"}, `"0.0.0.0" is not a loopback address`},
		{Options{Nodes: []string{"127.0.0.1", "127.0.0.1"}, Control: "127.0.0.1:0"}, "-nodes: 127.0.0.1 is listed twice"},
	} {
		if server, err := Start(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			if server != nil {
				server.Close()
			}

			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestTheControlAPISetsTheKubernetesFaultsAndRefusesAStaticPodThatIsNone(t *testing.T) {
	server, err := Start(Options{Nodes: []string{"127.0.0.1"}, Control: "127.0.0.1:0", Settings: Settings{TalosVersion: "v1.7.4"}})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	post := func(body string) (int, map[string]any) {
		response, err := http.Post(server.Control+"/nodes/127.0.0.1/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer response.Body.Close()

		var reply map[string]any
		if err := json.NewDecoder(response.Body).Decode(&reply); err != nil {
			t.Fatal(err)
		}

		return response.StatusCode, reply
	}

	code, reply := post(`{"nodeNotReady": true, "staticPodDown": "kube-scheduler", "kubeletDown": true}`)
	if faults, _ := reply["faults"].(map[string]any); code != http.StatusOK || faults["nodeNotReady"] != true || faults["staticPodDown"] != "kube-scheduler" || faults["kubeletDown"] != true {
		t.Fatalf("%d %v", code, reply)
	}

	if code, reply := post(`{"staticPodDown": "etcd"}`); code != http.StatusBadRequest ||
		reply["error"] != `faults: staticPodDown "etcd" is not a control plane static pod: kube-apiserver, kube-controller-manager, kube-scheduler` {
		t.Fatalf("%d %v", code, reply)
	}

	if code, reply := post(`{}`); code != http.StatusOK || reply["faults"].(map[string]any)["nodeNotReady"] != false { //nolint:forcetypeassert
		t.Fatalf("cleared: %d %v", code, reply)
	}
}
