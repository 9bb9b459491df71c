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
