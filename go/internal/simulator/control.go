package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Status is what GET /status answers: every node's NodeStatus, by address.
type Status struct {
	Nodes map[string]NodeStatus `json:"nodes"`
}

// controlAPI is the simulator's own HTTP API on loopback, for tests:
//
//	GET  /status                    every node's NodeStatus, by address
//	GET  /nodes/{address}           one node's NodeStatus
//	POST /nodes/{address}/down      power the node off (its port closes)
//	POST /nodes/{address}/up        power it on again
//	POST /nodes/{address}/faults    {"delay":"2s","hang":false,"rejectCode":"Unavailable","rejectMethod":"ApplyConfiguration","loseReply":"Bootstrap",
//	                                 "kubeletDown":true,"etcdStopped":true,"etcdDataLost":true,"nodeNotReady":true,"staticPodDown":"kube-scheduler"}:
//	                                 replaces every fault but down (left out: cleared); kubeletDown fails the kubelet service
//	                                 (its Node is NotReady too), etcdStopped stops a control plane's etcd server (cleared, it
//	                                 starts again and rejoins its cluster), etcdDataLost stops a control plane's etcd member and
//	                                 wipes its data, the node running on (two of three so: no quorum, the last member unhealthy;
//	                                 cleared, the member starts empty: it joins a healthy cluster, else waits for a bootstrap,
//	                                 Preparing), nodeNotReady has its Node report Ready=False,
//	                                 staticPodDown names a control plane component whose static pod is not running there
//	POST /nodes/{address}/reimage   wipe it: back to maintenance mode, no configuration
//	POST /nodes/{address}/hold      {"method":"Bootstrap","at":"after"}: stop its calls there ("before" or "after" the node carries them out)
//	GET  /nodes/{address}/held?method=Bootstrap&at=after&timeout=30s   wait until a call is stopped at that hold
//	POST /nodes/{address}/release   {"method":"Bootstrap"}: let the held calls go on and disarm
//	GET  /clock                     the nodes' clock: {"now":"<RFC 3339>","offset":"2h0m0s"}
//	POST /clock                     {"advance":"2h"}: move the nodes' clock forward (never back)
func (s *Simulator) controlAPI() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		status := Status{Nodes: map[string]NodeStatus{}}
		for _, node := range s.allNodes() {
			status.Nodes[node.address] = node.status()
		}

		writeJSON(w, http.StatusOK, status)
	})

	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.clockStatus())
	})

	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		var request struct {
			Advance string `json:"advance"`
		}

		if err := json.NewDecoder(r.Body).Decode(&request); err != nil || request.Advance == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("clock: give {\"advance\": \"2h\"} (%v)", err)})

			return
		}

		advance, err := time.ParseDuration(request.Advance)
		if err != nil {
			err = fmt.Errorf("advance: %w", err)
		} else {
			err = s.advanceClock(advance)
		}

		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "clock: " + err.Error()})

			return
		}

		writeJSON(w, http.StatusOK, s.clockStatus())
	})

	mux.HandleFunc("GET /nodes/{address}", s.withNode(func(node *Node, w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, http.StatusOK, node.status())

		return nil
	}))

	mux.HandleFunc("POST /nodes/{address}/down", s.withNode(func(node *Node, w http.ResponseWriter, _ *http.Request) error {
		return respond(w, node, node.setDown(true))
	}))

	mux.HandleFunc("POST /nodes/{address}/up", s.withNode(func(node *Node, w http.ResponseWriter, _ *http.Request) error {
		return respond(w, node, node.setDown(false))
	}))

	mux.HandleFunc("POST /nodes/{address}/reimage", s.withNode(func(node *Node, w http.ResponseWriter, _ *http.Request) error {
		return respond(w, node, node.reimage())
	}))

	mux.HandleFunc("POST /nodes/{address}/faults", s.withNode(func(node *Node, w http.ResponseWriter, r *http.Request) error {
		var request struct {
			Delay         string `json:"delay"`
			Hang          bool   `json:"hang"`
			RejectCode    string `json:"rejectCode"`
			RejectMethod  string `json:"rejectMethod"`
			LoseReply     string `json:"loseReply"`
			KubeletDown   bool   `json:"kubeletDown"`
			EtcdStopped   bool   `json:"etcdStopped"`
			EtcdDataLost  bool   `json:"etcdDataLost"`
			NodeNotReady  bool   `json:"nodeNotReady"`
			StaticPodDown string `json:"staticPodDown"`
		}

		if err := json.NewDecoder(r.Body).Decode(&request); err != nil {
			return fmt.Errorf("faults: %w", err)
		}

		if request.StaticPodDown != "" && !slices.Contains(controlPlaneComponents, request.StaticPodDown) {
			return fmt.Errorf("faults: staticPodDown %q is not a control plane static pod: %s", request.StaticPodDown, strings.Join(controlPlaneComponents, ", "))
		}

		if request.RejectCode != "" && codeNamed(request.RejectCode).String() != request.RejectCode {
			return fmt.Errorf("faults: rejectCode %q is not a gRPC code name such as InvalidArgument or Unavailable", request.RejectCode)
		}

		faults := Faults{
			Hang:          request.Hang,
			RejectCode:    request.RejectCode,
			RejectMethod:  request.RejectMethod,
			LoseReply:     request.LoseReply,
			KubeletDown:   request.KubeletDown,
			EtcdStopped:   request.EtcdStopped,
			EtcdDataLost:  request.EtcdDataLost,
			NodeNotReady:  request.NodeNotReady,
			StaticPodDown: request.StaticPodDown,
		}

		if request.Delay != "" {
			delay, err := time.ParseDuration(request.Delay)
			if err != nil {
				return fmt.Errorf("faults: delay: %w", err)
			}

			faults.Delay = delay
		}

		node.setFaults(faults)

		// A test acts on the fault next: its etcd has stopped when the answer comes.
		if err := node.awaitEtcdFault(faults, 10*time.Second); err != nil {
			return err
		}

		return respond(w, node, nil)
	}))

	mux.HandleFunc("POST /nodes/{address}/hold", s.withNode(func(node *Node, w http.ResponseWriter, r *http.Request) error {
		var request struct {
			Method string `json:"method"`
			At     string `json:"at"`
		}

		if err := json.NewDecoder(r.Body).Decode(&request); err != nil || request.Method == "" {
			return fmt.Errorf("hold: give {\"method\": \"Bootstrap\", \"at\": \"before\" or \"after\"} (%v)", err)
		}

		return respond(w, node, node.hold(request.Method, request.At))
	}))

	mux.HandleFunc("GET /nodes/{address}/held", s.withNode(func(node *Node, w http.ResponseWriter, r *http.Request) error {
		timeout, err := time.ParseDuration(r.URL.Query().Get("timeout"))
		if err != nil {
			timeout = 30 * time.Second
		}

		return respond(w, node, node.waitHeld(r.URL.Query().Get("method"), r.URL.Query().Get("at"), timeout))
	}))

	mux.HandleFunc("POST /nodes/{address}/release", s.withNode(func(node *Node, w http.ResponseWriter, r *http.Request) error {
		var request struct {
			Method string `json:"method"`
		}

		if err := json.NewDecoder(r.Body).Decode(&request); err != nil || request.Method == "" {
			return fmt.Errorf("release: give {\"method\": \"Bootstrap\"} (%v)", err)
		}

		node.releaseHolds(request.Method)

		return respond(w, node, nil)
	}))

	return mux
}

func (s *Simulator) withNode(handle func(*Node, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		node := s.node(r.PathValue("address"))
		if node == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no simulated node " + r.PathValue("address")})

			return
		}

		if err := handle(node, w, r); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
	}
}

func respond(w http.ResponseWriter, node *Node, err error) error {
	if err != nil {
		return err
	}

	writeJSON(w, http.StatusOK, node.status())

	return nil
}

func writeJSON(w http.ResponseWriter, code int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(value) //nolint:errcheck
}
