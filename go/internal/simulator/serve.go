package simulator

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// Settings shared by every simulated node.
type Settings struct {
	Port         int
	RebootDelay  time.Duration
	Disks        []string
	TalosVersion string
	// KubeconfigValidity is how long the admin client certificate of a
	// kubeconfig the Kubeconfig API hands out is valid; 0 means Talos' default.
	KubeconfigValidity time.Duration
}

// kubeconfigValidity is the configured validity, else Talos 1.7's (one year).
func (s Settings) kubeconfigValidity() time.Duration {
	if s.KubeconfigValidity > 0 {
		return s.KubeconfigValidity
	}

	return constants.KubernetesAdminCertDefaultLifetime
}

// Simulator is one process serving many nodes.
type Simulator struct {
	settings Settings
	// offset is how far the nodes' clock is ahead of real time (see now).
	offset atomic.Int64

	mu    sync.Mutex
	nodes map[string]*Node
	order []string
}

// Serve runs `talos-sim serve`: simulated nodes until SIGINT or SIGTERM.
func Serve(args []string) error {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	nodes := flags.String("nodes", "", "comma-separated loopback addresses, one per node (required)")
	port := flags.Int("port", 50000, "port of the Talos API on every node")
	control := flags.String("control", "127.0.0.1:0", "loopback address of the HTTP status and fault-injection API")
	rebootDelay := flags.Duration("reboot-delay", 500*time.Millisecond, "how long a node is gone after it applied a configuration")
	disks := flags.String("disks", "/dev/sda,/dev/nvme0n1", "comma-separated disks every node has")
	talosVersion := flags.String("talos-version", "v1.7.4", "Talos version the nodes run")
	// Talos 1.7 signs the admin kubeconfig for constants.KubernetesAdminCertDefaultLifetime: one year (8760h).
	kubeconfigValidity := flags.Duration("kubeconfig-validity", constants.KubernetesAdminCertDefaultLifetime,
		"how long the admin client certificate of a kubeconfig from the Kubeconfig API is valid")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *kubeconfigValidity <= 0 {
		return fmt.Errorf("-kubeconfig-validity: %s is not a positive duration", *kubeconfigValidity)
	}

	addresses := SplitList(*nodes)
	if len(addresses) == 0 {
		return errors.New("-nodes: at least one node address is required")
	}

	for _, address := range append([]string{hostOf(*control)}, addresses...) {
		if ip := net.ParseIP(address); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%q is not a loopback address: the simulator serves on 127.0.0.0/8 only", address)
		}
	}

	sim := &Simulator{
		settings: Settings{
			Port:               *port,
			RebootDelay:        *rebootDelay,
			Disks:              SplitList(*disks),
			TalosVersion:       *talosVersion,
			KubeconfigValidity: *kubeconfigValidity,
		},
		nodes: map[string]*Node{},
	}

	for _, address := range addresses {
		if _, dup := sim.nodes[address]; dup {
			return fmt.Errorf("-nodes: %s is listed twice", address)
		}

		node := newNode(sim, address)
		if err := node.boot(); err != nil {
			sim.shutdown()

			return fmt.Errorf("node %s: %w", address, err)
		}

		sim.nodes[address] = node
		sim.order = append(sim.order, address)
	}

	listener, err := net.Listen("tcp", *control)
	if err != nil {
		sim.shutdown()

		return fmt.Errorf("-control: %w", err)
	}

	server := &http.Server{Handler: sim.controlAPI(), ReadHeaderTimeout: 5 * time.Second}

	go server.Serve(listener) //nolint:errcheck

	ready, _ := json.Marshal(map[string]any{ //nolint:errcheck
		"control": "http://" + listener.Addr().String(),
		"nodes":   addresses,
	})
	fmt.Println(string(ready))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals

	server.Close() //nolint:errcheck
	sim.shutdown()

	return nil
}

// node returns the simulated node at address, or nil.
func (s *Simulator) node(address string) *Node {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.nodes[address]
}

// allNodes returns the nodes in the order they were given.
func (s *Simulator) allNodes() []*Node {
	s.mu.Lock()
	defer s.mu.Unlock()

	nodes := make([]*Node, 0, len(s.order))
	for _, address := range s.order {
		nodes = append(nodes, s.nodes[address])
	}

	return nodes
}

// clusterBootstrapped reports whether a control plane of the node's cluster
// (same cluster ID) has been bootstrapped: etcd runs on its control planes then.
func (s *Simulator) clusterBootstrapped(of *Node) bool {
	of.mu.Lock()
	id := clusterID(of)
	of.mu.Unlock()

	for _, node := range s.allNodes() {
		node.mu.Lock()
		bootstrapped := node.bootstraps > 0 && clusterID(node) == id
		node.mu.Unlock()

		if bootstrapped {
			return true
		}
	}

	return false
}

// clusterID is the ID of the cluster a node is configured for; the caller holds its lock.
func clusterID(n *Node) string {
	if n.config == nil {
		return ""
	}

	return n.config.Cluster().ID()
}

func (s *Simulator) shutdown() {
	for _, node := range s.allNodes() {
		node.stop()
	}
}

// SplitList splits a comma-separated list, dropping empty entries.
func SplitList(value string) []string {
	var items []string

	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}

	return items
}

func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}

	return host
}
